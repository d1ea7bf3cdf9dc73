"""BPMF variants on ML-100K: validation RMSE (the choice) and optionally 5-fold test RMSE (the report).

Usage: .venv/bin/python bench/trainer/accuracy.py [--folds] [NAME=VALUE ...] [--variant 'NAME=VALUE ...' ...]
Validation: the 80% training part of the seed-42 80/20 split, split again 80/20 with seed 42 (as
`tune` does), so the test part chooses nothing. --folds adds the 5-fold (seed 42) test RMSE of each
variant. Each variant is BPMFParams() with the given fields replaced; timings are fit seconds on
this process (the machine is shared: compare within one run).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import fields, replace
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

from trainer.bpmf import BPMFParams  # noqa: E402
from trainer.evaluate import evaluate_indices, kfold_splits, random_split  # noqa: E402
from trainer.model import warm_up_model  # noqa: E402
from trainer.sources import load_dataset  # noqa: E402


def parse_variant(text: str) -> BPMFParams:
    kinds = {f.name: type(getattr(BPMFParams(), f.name)) for f in fields(BPMFParams)}
    changes = {}
    for item in text.split():
        name, value = item.split("=")
        changes[name] = kinds[name](value)
    return replace(BPMFParams(), **changes)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", action="append", default=[], help="space-separated NAME=VALUE fields")
    ap.add_argument("--folds", action="store_true")
    ap.add_argument("--dataset", default="ml-100k")
    args = ap.parse_args()
    data = load_dataset(args.dataset)
    variants = [parse_variant(v) for v in (args.variant or [""])]
    warm_up_model(BPMFParams())
    train, _ = random_split(data.n_ratings, 0.2, 42)
    fit_part, valid_part = random_split(len(train), 0.2, 42)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for text, params in zip(args.variant or ["default"], variants):
        start = time.perf_counter()
        valid, _, _, seconds = evaluate_indices(data, params, train[fit_part], train[valid_part])
        line = f"{text:40s} valid {valid:.5f} ({seconds:.2f} s fit)"
        if args.folds:
            runs = [evaluate_indices(data, params, tr, te) for tr, te in kfold_splits(data.n_ratings, 5, 42)]
            errs = [r[0] for r in runs]
            line += f" | 5-fold {np.mean(errs):.4f} ± {np.std(errs):.4f} ({np.mean([r[3] for r in runs]):.2f} s fit)"
        print(line + f" | {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
