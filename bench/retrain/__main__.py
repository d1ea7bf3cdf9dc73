"""`python -m bench.retrain`: retrain on ML-100K plus 10,000 app ratings from 500 accounts in a real store, timed.

1. Trains the served model on ML-100K (`python -m trainer train`, not timed: it is what is serving).
2. Writes 500 synthetic accounts into a real store (a SQLite file migrated by movierec.store, or
   --database-url), 20 ratings each in half stars: each account copies the taste of a random
   MovieLens user (20 of that user's movies, their rating plus noise), so the app's people look like
   the data's people.
3. Times `python -m trainer retrain` as a user runs it (one process: data, store, gate, training,
   item graph, writing) and prints its verdict; the target is 60 s. The untimed `train` of step 1
   ran in the same conditions: the ratio of the two is printed too (the shared machine's speed varies).

--noise N instead refits the default recipe with N seeds on the gate's splits of ML-100K and prints
the spread of its figures: what the gate's tolerances are measured against.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as `python -m trainer` (trainer/__main__.py)

import argparse  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from movierec.store import migrate, schema  # noqa: E402
from movierec.store.engine import make_engine  # noqa: E402
from trainer.movielens import load_movielens  # noqa: E402
from trainer.retrain import RETRAIN_RANKING  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TARGET_SECONDS = 60.0


def fill_store(url: str, accounts: int, per_account: int, seed: int = 0) -> int:
    """Writes `accounts` accounts with `per_account` half-star ratings each; returns the ratings written."""
    data = load_movielens()
    rng = np.random.default_rng(seed)
    order = np.argsort(data.user_id, kind="stable")
    users, starts = np.unique(data.user_id[order], return_index=True)
    bounds = np.append(starts, len(order))
    engine = make_engine(url)
    migrate.upgrade(engine)
    now_ms = int(time.time() * 1000)
    written = 0
    with engine.begin() as conn:
        for n in range(accounts):
            account = conn.execute(insert(schema.accounts).returning(schema.accounts.c.id).values(
                username=f"bench{n:04d}", password_hash="not-a-hash", created_ms=now_ms))
            account_id = account.scalar_one()
            u = int(rng.integers(len(users)))
            mine = order[bounds[u]:bounds[u + 1]]
            picked = rng.choice(mine, min(per_account, len(mine)), replace=False)
            halves = np.clip(np.rint(2 * (data.rating[picked] + rng.normal(0, 0.5, len(picked)))), 1, 10)
            conn.execute(insert(schema.ratings), [
                {"account_id": account_id, "movie_id": int(m), "half_stars": int(h), "updated_ms": now_ms + i}
                for i, (m, h) in enumerate(zip(data.movie_id[picked], halves))])
            written += len(picked)
    engine.dispose()
    return written


def trainer(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "trainer", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env)
    return done, time.perf_counter() - started


def noise(seeds: int) -> int:
    """The default recipe refitted with `seeds` seeds on the gate's splits of ML-100K: spread of the figures."""
    from movierec.ranking import parts
    from trainer.gate import Recipe, figures
    from trainer.model import default_params
    from trainer.tune_ranking import DEFAULT_BLEND

    data = load_movielens()
    rows = []
    for seed in range(seeds):
        recipe = Recipe(replace(default_params(), seed=seed), DEFAULT_BLEND, data.rating_scale,
                        parts.DEFAULT_FOLDIN_REG)
        f, _ = figures(data, recipe, np.zeros(data.n_ratings, dtype=bool))
        rows.append((f.rmse, f.ranking))
        print(f"seed {seed}: RMSE {f.rmse:.4f}, (NDCG@10 + Recall@10) / 2 {f.ranking:.4f}", flush=True)
    r = np.array(rows)
    print(f"spread (max - min) over {seeds} seeds: RMSE {np.ptp(r[:, 0]):.4f}, ranking {np.ptp(r[:, 1]):.4f}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.retrain", description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--per-account", type=int, default=20)
    parser.add_argument("--database-url", default=None, help="a store to fill (default: a new SQLite file)")
    parser.add_argument("--ranking", default="serving", choices=RETRAIN_RANKING,
                        help="retrain's --ranking (default serving, as retrain's; tuned searches the blend again)")
    parser.add_argument("--noise", type=int, default=0, metavar="SEEDS", help="measure the gate's noise instead")
    args = parser.parse_args(argv)
    if args.noise:
        return noise(args.noise)
    with tempfile.TemporaryDirectory(prefix="bench-retrain-") as tmp:
        out = Path(tmp) / "artifacts"
        url = args.database_url or f"sqlite:///{Path(tmp) / 'profiles.sqlite3'}"
        print("training the serving model on ML-100K (not timed)...", flush=True)
        done, seconds = trainer("train", "--out", str(out))
        if done.returncode:
            print(done.stderr[-3000:], file=sys.stderr)
            return 1
        print(f"  {seconds:.1f} s: {done.stdout.strip()}")
        train_seconds = seconds
        ratings = fill_store(url, args.accounts, args.per_account)
        print(f"store: {args.accounts} accounts, {ratings} ratings written", flush=True)
        load = os.getloadavg()
        done, seconds = trainer("retrain", "--out", str(out), "--database-url", url, "--ranking", args.ranking)
        if done.returncode:
            print(done.stderr[-3000:], file=sys.stderr)
            return 1
        print(done.stdout.strip())
        print(f"\npython -m trainer retrain --ranking {args.ranking}: {seconds:.1f} s wall "
              f"(target {TARGET_SECONDS:.0f} s: {'met' if seconds <= TARGET_SECONDS else 'NOT met'}); "
              f"load average before {load[0]:.1f}, after {os.getloadavg()[0]:.1f} (shared 2-core machine); "
              f"{seconds / train_seconds:.2f}x the `train` run above")
        print("stages:\n" + "\n".join(f"  {line}" for line in done.stderr.splitlines() if line.startswith(
            ("retrain:", "ranking:"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
