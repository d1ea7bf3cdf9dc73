"""The whole stack as separate processes on MovieLens 100K, through HTTP as a person uses it."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import httpx
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
    assert body["dependencies"] == {"matcher": "ok", "scorer": "ok", "profiles": "ok", "redis": "ok"}
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
    if not (ml100k_stack.artifact_dir / body["model_version"] / "rerank.txt").exists():
        # the blend's order; a re-rank stage orders them its own way, the scores staying the blend's
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


def test_an_account_rates_20_movies_and_its_recommendations_follow(ml100k_stack):
    """ML-100K, the whole stack as scripts/run.sh starts it: sign up, rate 20 movies one by one (each changes
    the next list), mark the top one "not interested" and it is gone."""
    with httpx.Client(base_url=ml100k_stack.gateway_url, timeout=10) as web:
        signup = web.post("/auth/signup", json={"username": "twenty-ratings", "password": "correct horse"})
        assert signup.status_code == 201
        csrf = {"X-CSRF-Token": web.cookies["movierec_csrf"]}
        lists = []
        for i, movie in enumerate([50, 172, 181, 1, 121, 174, 127, 100, 98, 56, 7, 64, 69, 79, 96, 195, 204, 210,
                                   22, 28]):
            assert web.put(f"/me/ratings/{movie}", json={"rating": 5.0 if i % 4 else 2.0}, headers=csrf).is_success
            lists.append([r["movieId"] for r in web.get("/me/recommendations").json()["recommendations"]])
        assert web.get("/me").json()["n_ratings"] == 20
        assert sum(a != b for a, b in zip(lists, lists[1:])) >= 10  # most ratings moved the list at once
        top = lists[-1][0]
        assert web.post("/me/feedback", json={"movieId": top, "kind": "not_interested"}, headers=csrf).is_success
        after = [r["movieId"] for r in web.get("/me/recommendations").json()["recommendations"]]
        assert top not in after and len(after) == 10
