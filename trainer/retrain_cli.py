"""`python -m trainer retrain`: options, reading the store, one run or a loop, and the printed verdict."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from movierec.artifact import ArtifactError
from movierec.s3_artifacts import parse_s3_uri
from movierec.store import APP_USER_ID_OFFSET
from movierec.store.engine import StoreUrlError, redacted, with_password
from movierec.store.training import app_ratings
from trainer import s3_root
from trainer.gate import MAX_RANKING_DROP, MAX_RMSE_INCREASE, Tolerance
from trainer.model import Params
from trainer.retrain import RETRAIN_RANKING, Outcome, RetrainBusy, retrain
from trainer.sources import load_dataset

DATABASE_URL_ENV = "PROFILES_DATABASE_URL"
DATABASE_PASSWORD_ENV = "PROFILES_DATABASE_PASSWORD"
DEFAULT_DATABASE_URL = "sqlite:///data/profiles.sqlite3"  # the profiles service's default store


class StoreError(RuntimeError):
    """The profiles store cannot be read; the message names it (password hidden)."""


def add_retrain_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="artifacts",
                   help="artifact root: a directory or s3://bucket/prefix (needs boto3) (default: artifacts)")
    p.add_argument("--database-url", default=None,
                   help=f"the profiles store to read ratings from (default ${DATABASE_URL_ENV}, else the profiles "
                        "service's default SQLite file)")
    p.add_argument("--ranking", choices=RETRAIN_RANKING, default="serving",
                   help="serving (default): keep the serving model's ranking blend, its item graph rebuilt on the "
                        "new data (a new search is most of a run's time); tuned: search again, as `train` "
                        "(~80 s of CPU on ML-100K); defaults / off: as `train`")
    p.add_argument("--every", type=float, default=0.0, metavar="SECONDS",
                   help="run again every SECONDS (a scheduler loop; 0 = once, the default)")
    p.add_argument("--max-rmse-increase", type=float, default=MAX_RMSE_INCREASE,
                   help=f"gate: how much higher the candidate's RMSE may be than the serving model's "
                        f"(default {MAX_RMSE_INCREASE})")
    p.add_argument("--max-ranking-drop", type=float, default=MAX_RANKING_DROP,
                   help=f"gate: how much lower its held-out-user (NDCG@10 + Recall@10) / 2 may be "
                        f"(default {MAX_RANKING_DROP})")


def database_url(given: str | None) -> str:
    """--database-url, else $PROFILES_DATABASE_URL, else the default; $PROFILES_DATABASE_PASSWORD, when set,
    is put into it (on AWS the task gets the password from Secrets Manager and the rest of the URL as text)."""
    url = given or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL
    try:
        return with_password(url, os.environ.get(DATABASE_PASSWORD_ENV))
    except StoreUrlError as e:
        raise StoreError(f"{redacted(url)}: {e}") from None


def store_ratings(url: str) -> pd.DataFrame:
    """Every stored rating of every existing account (movierec.store.training.app_ratings); StoreError if unreadable."""
    try:
        return pd.DataFrame(app_ratings(url))
    except (SQLAlchemyError, StoreUrlError) as e:
        raise StoreError(f"cannot read the app's ratings from {redacted(url)}: {e} (is it the profiles service's "
                         "database, created by that service?)") from None


def report(outcome: Outcome) -> str:
    """The verdict and both sides' figures, a few lines for people."""
    e = outcome.entry
    lines = [f"{e['outcome']} {e['version']}: {e['reason']}"]
    sides = [("candidate", e["candidate"])] + ([(f"serving {e['serving']['version']}", e["serving"])]
                                               if e["serving"] else [])
    for name, f in sides:
        app = "n/a" if f["rmse_app"] is None else f"{f['rmse_app']:.4f}"
        ranking = "n/a" if f["ranking"] is None else (
            f"{f['ranking']:.4f} (NDCG@10 {f['ndcg10']:.4f}, Recall@10 {f['recall10']:.4f})")
        lines.append(f"  {name}: RMSE {f['rmse']:.4f} (MovieLens part {f['rmse_base']:.4f}, app part {app}); "
                     f"held-out users {ranking}")
    d = e["data"]
    lines.append(f"  data: {d['ratings']} ratings, {d['app_ratings']} from {d['app_accounts']} app accounts "
                 f"({d['dropped_unknown_movies']} of unknown movies dropped); {e['seconds']:.1f} s")
    return "\n".join(lines)


def run_once(args: argparse.Namespace, params: Params, tolerance: Tolerance) -> Outcome:
    """One run into args.out: a local root, or an s3:// root through a local mirror (trainer/s3_root.py)."""
    url = database_url(args.database_url)
    app = store_ratings(url)
    base = load_dataset(args.dataset, args.download)

    def run(root: Path) -> Outcome:
        return retrain(root, base, app, APP_USER_ID_OFFSET, f"store {redacted(url)}", params, args.ranking,
                       tolerance, on_progress=lambda line: print(f"retrain: {line}", file=sys.stderr, flush=True))

    uri = os.fspath(args.out)
    if parse_s3_uri(uri) is None:
        return run(args.out)
    client = s3_root.s3_client()
    with s3_root.locked(uri, client), tempfile.TemporaryDirectory(prefix="movierec-retrain-") as mirror:
        s3_root.pull(uri, Path(mirror), client)
        outcome = run(Path(mirror))
        s3_root.push(Path(mirror), uri, client, outcome.entry["version"], outcome.promoted)
        s3_root.prune(Path(mirror), uri, client)
    return outcome


def run_retrain(args: argparse.Namespace, params: Params) -> int:
    """One run (exit 0 promoted or rejected, 1 on an error), or with --every a loop that outlives failed runs."""
    try:
        tolerance = Tolerance(args.max_rmse_increase, args.max_ranking_drop)
        if not (args.every >= 0 and args.every < float("inf")):
            raise ValueError(f"--every must be a number of seconds >= 0, got {args.every}")
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not args.every:
        try:
            print(report(run_once(args, params, tolerance)), flush=True)
        except (RetrainBusy, StoreError, ArtifactError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        return 0
    while True:
        started = time.monotonic()
        try:
            print(report(run_once(args, params, tolerance)), flush=True)
        except Exception as e:  # the schedule outlives a failed run (store down, busy root); the next one retries
            print(f"retrain failed: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        print(f"next run in {args.every:g} s", file=sys.stderr, flush=True)
        time.sleep(max(0.0, args.every - (time.monotonic() - started)))
