"""bench.profiles builds the requests bodies.lua reads: five tab-separated fields, a cookie and CSRF pair for writes."""
from __future__ import annotations

import json

from bench.profiles.__main__ import N_MOVIES, request_lines


def test_write_and_read_lines_have_the_request_format():
    writes = request_lines(["t0", "t1"], "writes", 4)
    fields = [line.split("\t") for line in writes]
    assert all(len(f) == 5 for f in fields)
    assert [f[0] for f in fields] == ["PUT"] * 4
    assert all(f[1].startswith("/me/ratings/") and 1 <= int(f[1].rsplit("/", 1)[1]) <= N_MOVIES for f in fields)
    assert fields[0][2] == "movierec_session=t0; movierec_csrf=bench-csrf"
    assert fields[1][2].startswith("movierec_session=t1")
    assert all(f[3] == "bench-csrf" and 0.5 <= json.loads(f[4])["rating"] <= 5 for f in fields)
    reads = [line.split("\t") for line in request_lines(["t0"], "recommendations", 2)]
    assert reads[0][:2] == ["GET", "/me/recommendations?top_k=10"] and reads[0][3:] == ["", ""]
