"""The whole stack as separate processes on MovieLens 100K, through HTTP as a person uses it."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.data]


def call(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_health_reports_every_dependency(ml100k_stack):
    status, body = call(ml100k_stack.gateway_url + "/health")
    assert status == 200 and body["status"] == "ok"
    assert body["dependencies"] == {"matcher": "ok", "scorer": "ok", "redis": "ok"}
    assert body["model_version"] == (ml100k_stack.artifact_dir / "LATEST").read_text().strip()


def test_recommend_titles_resolves_typos_articles_and_reports_missing(ml100k_stack):
    status, body = call(ml100k_stack.gateway_url + "/recommend/titles",
                        {"movies": ["toy story", "the usual suspects", "jurasic park", "The Matrix"], "top_k": 10})
    assert status == 200, body
    resolved = {r["query"]: (r["movieId"], r["title"]) for r in body["resolved"]}
    assert resolved == {"toy story": (1, "Toy Story"), "the usual suspects": (12, "Usual Suspects, The"),
                        "jurasic park": (82, "Jurassic Park")}
    assert body["missing_movies"] == ["The Matrix"]
    recs = body["recommendations"]
    assert len(recs) == 10 and not {1, 12, 82} & {r["movieId"] for r in recs}
    assert all(r["title"] and isinstance(r["genres"], list) and r["year"] for r in recs)
    assert [r["score"] for r in recs] == sorted((r["score"] for r in recs), reverse=True)
    assert body["model_version"] == (ml100k_stack.artifact_dir / "LATEST").read_text().strip()


def test_second_identical_request_is_served_from_redis(ml100k_stack):
    body = {"movies": ["Heat (1995)", "star wars"], "top_k": 5, "alpha": 0.5}
    _, first = call(ml100k_stack.gateway_url + "/recommend/titles", body)
    _, second = call(ml100k_stack.gateway_url + "/recommend/titles", body)
    assert second["cached"] is True
    assert [r["movieId"] for r in first["recommendations"]] == [r["movieId"] for r in second["recommendations"]]


def test_predict_rating_for_a_training_user_and_404_for_unknown(ml100k_stack):
    status, body = call(ml100k_stack.gateway_url + "/predict-rating", {"user_id": 196, "movie_id": 242})
    assert status == 200 and 1.0 <= body["predicted_rating"] <= 5.0
    status, body = call(ml100k_stack.gateway_url + "/predict-rating", {"user_id": 99999, "movie_id": 242})
    assert status == 404 and "99999" in json.dumps(body)


def test_invalid_request_is_422_json(ml100k_stack):
    status, body = call(ml100k_stack.gateway_url + "/recommend/titles", {"movies": [], "top_k": 0})
    assert status == 422 and "detail" in body
