"""Command line: `python -m trainer fetch | train | info`."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from services.common.artifact import ArtifactError, load_artifact
from trainer.fetch import FetchError, cache_dir, fetch_movielens
from trainer.movielens import DataError, load_movielens
from trainer.sgd import TrainParams
from trainer.train import train_artifact


class EpochBars:
    """One tqdm bar on stderr per training stage, fed by train_artifact's epoch callback."""

    LABELS = {"eval": "train 80% (eval)", "final": "train 100% (served)"}

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs
        self.stage: str | None = None
        self.bar: tqdm | None = None

    def __call__(self, stage: str, epoch: int, train_rmse: float) -> None:
        if stage != self.stage:
            self.close()
            self.stage = stage
            # disable=None: no bar when stderr is not a terminal, so CI logs get only the summary.
            self.bar = tqdm(total=self.epochs, desc=self.LABELS.get(stage, stage), unit="epoch",
                            file=sys.stderr, leave=False, disable=None)
        self.bar.update(1)
        self.bar.set_postfix(train_rmse=f"{train_rmse:.4f}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _fetch(args: argparse.Namespace) -> int:
    files = fetch_movielens()
    print(f"MovieLens 100K ready in {files.inter.parent} (cache {cache_dir()})")
    return 0


def _train(args: argparse.Namespace) -> int:
    if args.if_missing:
        try:
            existing = load_artifact(args.out)
        except ArtifactError as e:
            print(f"no usable artifact yet ({e}); training one", file=sys.stderr)
        else:
            print(f"artifact {existing.version} already in {args.out}; nothing to do (--if-missing)")
            return 0
    defaults = TrainParams()
    try:
        params = TrainParams(**{
            name: getattr(args, name) if getattr(args, name) is not None else getattr(defaults, name)
            for name in defaults.to_dict()
        })
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    dataset = load_movielens()
    bars = EpochBars(params.epochs)
    try:
        path = train_artifact(args.out, params, dataset, on_epoch=bars)
    finally:
        bars.close()
    metrics = load_artifact(path).manifest["metrics"]
    print(f"wrote {path} | held-out RMSE {metrics['rmse']:.4f}, MAE {metrics['mae']:.4f} "
          f"(global mean RMSE {metrics['global_mean_rmse']:.4f}) | training took {metrics['train_seconds']:.2f} s")
    return 0


def _info(args: argparse.Namespace) -> int:
    art = load_artifact(args.artifact)
    m = art.manifest
    data, metrics, serving = m.get("dataset", {}), m.get("metrics", {}), m.get("serving", {})
    print(f"version      {art.version}  ({art.path})")
    print(f"created      {m.get('created_at')}")
    print(f"dataset      {data.get('name')} from {data.get('source')}: {data.get('n_users')} users, "
          f"{data.get('n_items')} movies, {data.get('n_ratings')} ratings "
          f"(dropped {data.get('dropped_items')} junk items), sha256 {str(data.get('sha256'))[:12]}")
    print("params       " + ", ".join(f"{k}={v}" for k, v in sorted(m.get("params", {}).items())))
    print(f"metrics      RMSE {metrics.get('rmse')}, MAE {metrics.get('mae')}, global-mean RMSE "
          f"{metrics.get('global_mean_rmse')}, train {metrics.get('train_seconds')} s; {metrics.get('eval_split')}")
    print("serving      " + ", ".join(f"{k}={v}" for k, v in sorted(serving.items())))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m trainer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    fetch = commands.add_parser("fetch", help="download MovieLens 100K (recbole wheel) into the cache")
    fetch.set_defaults(run=_fetch)

    train = commands.add_parser("train", help="evaluate on an 80/20 split, train on all ratings, write an artifact")
    train.add_argument("--out", type=Path, default=Path("artifacts"), help="artifact root (default: artifacts)")
    train.add_argument("--if-missing", action="store_true", help="do nothing if --out/LATEST is a loadable artifact")
    defaults = TrainParams()
    for name, kind, help_text in [
        ("factors", int, "latent factors"), ("epochs", int, "SGD passes"), ("lr", float, "learning rate"),
        ("reg", float, "L2 regularisation"), ("conf_scale", float, "step scale 1 + X * rating (0 disables)"),
        ("init_std", float, "std of initial factors"), ("lr_decay", float, "lr multiplier per epoch"),
        ("seed", int, "seed of initialisation and shuffles"),
    ]:
        train.add_argument(f"--{name.replace('_', '-')}", dest=name, type=kind, default=None,
                           help=f"{help_text} (default {getattr(defaults, name)})")
    train.set_defaults(run=_train)

    info = commands.add_parser("info", help="summarise an artifact's manifest")
    info.add_argument("--artifact", type=Path, default=Path("artifacts"), help="artifact root or version dir")
    info.set_defaults(run=_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (FetchError, DataError, ArtifactError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
