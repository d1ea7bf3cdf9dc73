"""bench/load: the request mix, the monolith baseline, wrk's summary, profiles, and one short real run."""
from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from rapidfuzz.distance import Levenshtein

from bench.load.monolith import MonolithRecommender, create_app
from bench.load.profiling import summarize
from bench.load.run import Plan, run_catalog
from bench.load.synthetic import build_synthetic_artifact
from bench.load.workload import MAX_TITLES, recommend_bodies, spoken, with_typo
from bench.load.wrk import parse_output, run_wrk
from movierec.artifact import load_artifact
from services.gateway.cache import recommend_key
from services.matcher.index import TitleIndex


@pytest.fixture(scope="module")
def tiny(tiny_artifact_root):
    return load_artifact(tiny_artifact_root)


def test_spoken_titles_put_the_article_in_front():
    assert spoken("Usual Suspects, The") == "the usual suspects"
    assert spoken("Toy Story") == "toy story"


def test_a_typo_is_one_slip_of_the_keyboard():
    rng = np.random.default_rng(0)
    for _ in range(200):
        typed = with_typo("jurassic park", rng)
        assert Levenshtein.distance(typed, "jurassic park") <= 2  # a swap is two edits
        assert typed[0] == "j"


def test_uncached_bodies_never_share_a_cache_key(tiny):
    bodies = recommend_bodies(tiny.movies, 500, seed=1, unique=True)
    keys = {recommend_key(b["movies"], b["top_k"], b["alpha"], "v") for b in bodies}
    assert len(keys) == 500
    sizes = Counter(len(b["movies"]) for b in bodies)
    assert min(sizes) == 1 and max(sizes) == MAX_TITLES


def test_bodies_are_the_same_for_the_same_seed(tiny):
    assert recommend_bodies(tiny.movies, 50, 3, False) == recommend_bodies(tiny.movies, 50, 3, False)
    assert recommend_bodies(tiny.movies, 50, 3, False) != recommend_bodies(tiny.movies, 50, 4, False)


def test_monolith_resolves_typed_titles_and_ranks_like_whole_array_math(tiny):
    monolith = MonolithRecommender(tiny)
    with TestClient(create_app(monolith)) as client:
        reply = client.post("/recommend/titles", json={"movies": ["toy story", "Heat", "zzzz qqqq"], "top_k": 5,
                                                       "alpha": 0.5})
    assert reply.status_code == 200
    body = reply.json()
    assert body["input_movies"] == ["Toy Story", "Heat"]
    assert body["missing_movies"] == ["zzzz qqqq"]
    ids = [r["movieId"] for r in body["recommendations"]]
    assert len(ids) == 5 and not {1, 273} & set(ids)

    # The same formula over whole arrays gives the same order (the loop is slow, not different).
    rows = [tiny.item_row(1), tiny.item_row(273)]
    factors, genres = tiny.arrays["item_factors"], tiny.genre_matrix
    cf = tiny.arrays["item_bias"] + factors @ factors[rows].mean(axis=0)
    profile = genres[rows].mean(axis=0)
    content = genres @ profile / (np.linalg.norm(genres, axis=1) * np.linalg.norm(profile))
    score = 0.5 * (cf - cf.mean()) / cf.std() + 0.5 * (content - content.mean()) / content.std()
    score[rows] = -np.inf
    expected = [tiny.movies[r].movie_id for r in np.argsort(-score, kind="stable")[:5]]
    assert ids == expected


def test_wrk_summary_is_parsed_into_milliseconds():
    out = ("Running 1s test\nBENCH_RESULT {\"requests\":250,\"duration_us\":2000000,\"bytes\":1,"
           "\"errors\":{\"connect\":0,\"read\":0,\"write\":0,\"status\":3,\"timeout\":1},"
           "\"latency_us\":{\"p50\":1500,\"p95\":4000,\"p99\":9000,\"max\":12000,\"mean\":2000.0},\"wraps\":2}\n")
    result = parse_output(out, connections=8)
    assert result.throughput == 125.0
    assert (result.p50_ms, result.p95_ms, result.p99_ms, result.max_ms) == (1.5, 4.0, 9.0, 12.0)
    assert result.error_count == 4 and result.wraps == 2


def test_only_loopback_targets_are_loaded(tmp_path):
    with pytest.raises(ValueError, match="only loopback"):
        run_wrk("http://example.com:80", tmp_path / "bodies.jsonl", 1, 1)


def test_profile_summary_counts_self_and_inclusive_time():
    stacks = Counter({"main (a.py:1);work (b.py:2);dot (c.py:3)": 3, "main (a.py:1);work (b.py:9)": 1})
    text = summarize(stacks, top=3)
    assert "samples: 4" in text
    assert " 75.0%  dot (c.py)" in text  # self time of the leaf
    assert "100.0%  work (b.py)" in text  # two lines of one function, merged


def test_synthetic_catalog_titles_are_found_by_the_matcher(tmp_path):
    art = load_artifact(build_synthetic_artifact(tmp_path / "synthetic", n_movies=400, seed=3))
    assert len(art.movies) == 400 and art.genre_matrix.sum(axis=1).min() >= 1
    index = TitleIndex(art.movies)
    for movie in art.movies[:40]:
        best, _ = index.resolve(f"{spoken(movie.title)} ({movie.year})")
        assert best is not None and best.movie.title == movie.title


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install -y wrk)")
def test_a_short_run_measures_stack_and_monolith(tiny_artifact_root, tmp_path: Path):
    plan = Plan("tiny", tiny_artifact_root, tmp_path, connections=(2,), monolith_connections=(2,), seconds=1,
                monolith_seconds=1, cached_pool=10, unique_bodies=2_000, warmup_seconds=0)
    result = run_catalog(plan)
    assert set(result.startup_s) == {"redis", "matcher", "scorer", "gateway", "monolith"}
    assert all(mb > 5 for mb in result.rss_loaded_mb.values())
    cells = {(c["target"], c["mode"]): c for c in result.cells}
    assert set(cells) == {(t, m) for t in ("stack", "monolith") for m in ("cached", "uncached")}
    for cell in cells.values():
        assert cell["requests"] > 0 and sum(cell["errors"].values()) == 0
    assert cells["stack", "cached"]["cache_hit_ratio"] == 1.0
    if cells["stack", "uncached"]["wraps"] == 0:  # every body sent once: nothing could come from Redis
        assert cells["stack", "uncached"]["cache_hit_ratio"] == 0.0


def test_repeated_cells_are_reported_as_medians():
    from bench.load.report import cells_table, cpu_table, targets
    from bench.load.run import CatalogResult

    def cell(target: str, throughput: float, p99: float, cpu: float) -> dict:
        return {"target": target, "mode": "uncached", "connections": 8, "throughput": throughput,
                "p50_ms": p99 / 2, "p95_ms": p99 * 0.9, "p99_ms": p99, "errors": {"timeout": 1},
                "cpu_ms_per_request": ({"gateway": cpu, "matcher": cpu, "scorer": cpu, "redis": 0.1}
                                       if target == "stack" else {"monolith": cpu}),
                "cache_hit_ratio": 0.0 if target == "stack" else None}

    result = CatalogResult("ml100k", 1681)
    result.cells = [cell("stack", 300, 40, 2.0), cell("monolith", 20, 500, 50),
                    cell("stack", 100, 90, 3.0), cell("monolith", 10, 900, 60),
                    cell("stack", 200, 50, 2.5), cell("monolith", 19, 800, 55)]
    table = cells_table(result)
    assert "| uncached | 8 | 200 (3 errors) | 25.0 / 45.0 / 50.0 | 19.0 (3 errors)" in table
    assert "10.5×" in table  # median stack over median monolith, not the mean of the runs
    assert "| uncached | 8 | 2.50 | 2.50 | 2.50 | 0.10 | 7.60 | 55.0 |" in cpu_table(result)
    assert "10.5× the monolith's throughput" in targets([result]) and "p99 50.0 ms" in targets([result])


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install -y wrk)")
def test_the_ab_run_drives_a_baseline_commit_and_this_tree(tiny_artifact_root, capsys):
    from bench.load.ab import main

    assert main(["--baseline", "HEAD", "--rounds", "1", "--seconds", "1", "--connections", "2",
                 "--artifact", str(tiny_artifact_root), "--env-b", "GATEWAY_WORKERS=1"]) == 0
    out = capsys.readouterr().out
    runs = [line for line in out.splitlines() if line.startswith(("A HEAD ", "B "))]
    assert len(runs) == 2 + 2  # one run of each side, then each side's medians
    assert all(" req/s " in line and float(line.split()[2]) > 0 for line in runs), out
    assert "B/A: throughput" in out
