"""Size-dependent choices: what changes above the thresholds, what a person's options keep, what is recorded."""
from __future__ import annotations

from trainer.bpmf import BPMFParams
from trainer.implicit import IMPLICIT_MAX_WIDTH
from trainer.sgd import TrainParams
from trainer.sizing import LARGE_RATINGS, LARGE_SWEEPS, TUNED_MAX_ITEMS, choose


def test_small_sets_keep_the_defaults():
    sized = choose(943, 1682, 99_991, BPMFParams(), set(), None)
    assert sized.params == BPMFParams() and sized.ranking == "tuned"
    assert sized.note.endswith("the defaults as they are") and sized.record["implicit_feedback"] is True


def test_big_sets_get_fewer_sweeps_no_implicit_and_default_ranking():
    sized = choose(162_541, 62_423, 25_000_095, BPMFParams(), set(), None)
    assert (sized.params.burn_in, sized.params.samples) == (LARGE_SWEEPS["burn_in"], LARGE_SWEEPS["samples"])
    assert sized.ranking == "defaults" and sized.record["implicit_feedback"] is False
    assert sized.record["params"] == sized.params.to_dict() and len(sized.record["reasons"]) == 3
    assert f"{LARGE_RATINGS:,}" in sized.note and f"{TUNED_MAX_ITEMS:,}" in sized.note
    assert f"{IMPLICIT_MAX_WIDTH:,}" in sized.note and "\n" not in sized.note


def test_what_a_person_sets_is_kept():
    mine = BPMFParams(samples=40)
    sized = choose(162_541, 62_423, 25_000_095, mine, {"samples"}, "off")
    assert sized.params == mine and sized.ranking == "off"
    sgd = choose(162_541, 62_423, 25_000_095, TrainParams(), {"epochs"}, None)
    assert sgd.params == TrainParams() and "implicit_feedback" not in sgd.record
