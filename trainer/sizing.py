"""Choices that depend on the data's size: BPMF's sweep counts and the ranking mode, each overridable.

`choose` returns the parameters and ranking mode to train with, one line saying what was chosen and
why (printed by `train`), and the manifest's `sizing` block. Anything the person set explicitly
(a BPMF option, `--ranking`) is kept as given.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from trainer.bpmf import BPMFParams
from trainer.implicit import IMPLICIT_MAX_WIDTH
from trainer.model import Params

# Above this many ratings BPMF keeps fewer samples: the posterior of a big set is narrow, so a few
# samples average as well as many, and each sweep costs seconds (bench/trainer/RESULTS.md).
LARGE_RATINGS = 5_000_000
LARGE_SWEEPS = {"burn_in": 8, "samples": 12}
# Above this many movies the ranking blend is not searched unless asked (--ranking tuned works at any
# size): the search costs an MF fit of its own plus minutes of walks at the ML-25M size, beyond the
# default train's 5-minute budget (bench/trainer/RESULTS.md).
TUNED_MAX_ITEMS = 12_000


@dataclass(frozen=True)
class Sizing:
    """What `choose` decided: params and ranking to train with, a one-line explanation, the manifest block."""

    params: Params
    ranking: str
    note: str
    record: dict[str, Any]


def choose(n_users: int, n_items: int, n_ratings: int, params: Params, given: set[str],
           ranking: str | None) -> Sizing:
    """Size-dependent settings for a set of n_ratings ratings by n_users users on n_items movies.

    params: the model's parameters with the person's options applied; given: the names of the
    parameters they set; ranking: the mode they asked for, None for automatic.
    """
    reasons: list[str] = []
    record: dict[str, Any] = {"n_users": n_users, "n_items": n_items, "n_ratings": n_ratings}
    if isinstance(params, BPMFParams):
        if n_ratings > LARGE_RATINGS and not given & set(LARGE_SWEEPS):
            params = replace(params, **LARGE_SWEEPS)
            reasons.append(f"BPMF {params.burn_in} burn-in + {params.samples} kept sweeps above "
                           f"{LARGE_RATINGS:,} ratings (--burn-in/--samples to override)")
        implicit = params.implicit > 0 and min(n_users, n_items) <= IMPLICIT_MAX_WIDTH
        record["implicit_feedback"] = implicit
        if params.implicit > 0 and not implicit:
            reasons.append(f"no implicit feedback: min(users, movies) above {IMPLICIT_MAX_WIDTH:,}")
    if ranking is None:
        ranking = "tuned" if n_items <= TUNED_MAX_ITEMS else "defaults"
        if ranking == "defaults":
            reasons.append(f"ranking blend defaults above {TUNED_MAX_ITEMS:,} movies, the search's minutes "
                           "(--ranking tuned to search)")
    record.update(params=params.to_dict(), ranking=ranking, reasons=reasons)
    note = (f"{n_ratings:,} ratings, {n_users:,} users, {n_items:,} movies: "
            + ("; ".join(reasons) if reasons else "the defaults as they are"))
    return Sizing(params, ranking, note, record)
