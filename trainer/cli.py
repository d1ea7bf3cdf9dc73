"""Command line: `python -m trainer fetch | train | retrain | tune | evaluate | synth | info`."""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from movierec.artifact import ArtifactError, load_artifact
from trainer.bpmf import WARM_BURN_IN, BPMFParams
from trainer.download import download_release
from trainer.fetch import FetchError, cache_dir, fetch_movielens
from trainer.model import DEFAULT_MODEL, MODELS, Params
from trainer.movielens import DataError
from trainer.progress import peak_rss_gb, phase
from trainer.retrain_cli import add_retrain_options, run_retrain
from trainer.sgd import TrainParams
from trainer.sizing import choose
from trainer.sources import HELP as DATASET_HELP
from trainer.sources import load_dataset
from trainer.train import train_artifact
from trainer.tune_ranking import RANKING_MODES


class EpochBars:
    """Progress of each training stage on stderr, fed by train_artifact's epoch callback: a tqdm bar on a
    terminal; otherwise (logs, CI) a line at each quarter of the fit with its seconds and ETA."""

    LABELS = {"eval": "train 80% (eval)", "final": "train 100% (served)"}

    def __init__(self, epochs: int, final_epochs: int | None = None) -> None:
        self.epochs = epochs
        self.final_epochs = epochs if final_epochs is None else final_epochs  # a warm-started final fit is shorter
        self.stage: str | None = None
        self.bar: tqdm | None = None
        self.done, self.total, self.started = 0, 0, 0.0

    def __call__(self, stage: str, epoch: int, train_rmse: float) -> None:
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.total = self.final_epochs if stage == "final" else self.epochs
            self.done, self.started = 0, time.perf_counter()
            # disable=None: no bar when stderr is not a terminal; the quarter lines below stand in for it.
            self.bar = tqdm(total=self.total, desc=self.LABELS.get(stage, stage), unit="epoch",
                            file=sys.stderr, leave=False, disable=None)
        assert self.bar is not None  # made just above for a new stage
        self.bar.update(1)
        self.bar.set_postfix(train_rmse=f"{train_rmse:.4f}")
        self.done += 1
        if self.bar.disable and self.done in {max(1, self.total * q // 4) for q in (1, 2, 3, 4)}:
            elapsed = time.perf_counter() - self.started
            eta = elapsed / self.done * max(0, self.total - self.done)
            print(f"{self.LABELS.get(stage, stage)}: {self.done}/{self.total} sweeps/epochs, {elapsed:.0f} s, "
                  f"ETA {eta:.0f} s, train RMSE {train_rmse:.4f}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _fetch(args: argparse.Namespace) -> int:
    if args.download:
        print(f"{args.download} ready in {download_release(args.download)}")
        return 0
    files = fetch_movielens()
    print(f"MovieLens 100K ready in {files.inter.parent} (cache {cache_dir()})")
    return 0


SGD_ONLY = ("epochs", "lr", "reg", "conf_scale", "init_std", "lr_decay", "reg_bias")
BPMF_ONLY = ("samples", "burn_in", "precision", "beta0", "serve_factors", "implicit")


def _params(args: argparse.Namespace) -> Params:
    """The chosen model's defaults with every option given on the command line replaced.

    Without --model, an option only one model has picks that model (`--epochs 20` means SGD, as
    before BPMF became the default); otherwise DEFAULT_MODEL. ValueError if invalid or mixed.
    """
    given = [name for name in SGD_ONLY + BPMF_ONLY if getattr(args, name, None) is not None]
    model = getattr(args, "model", None)
    if model is None:
        sides = {"sgd" if name in SGD_ONLY else "bpmf" for name in given}
        model = sides.pop() if len(sides) == 1 else DEFAULT_MODEL
    foreign = [f"--{n.replace('_', '-')}" for n in given if n in (BPMF_ONLY if model == "sgd" else SGD_ONLY)]
    if foreign:
        raise ValueError(f"{', '.join(foreign)} not used by --model {model}")
    defaults: Params = BPMFParams() if model == "bpmf" else TrainParams()
    fields = [name for name in defaults.to_dict() if name != "model"]
    return type(defaults)(**{
        name: getattr(args, name) if getattr(args, name, None) is not None else getattr(defaults, name)
        for name in fields
    })


def _train(args: argparse.Namespace) -> int:
    if args.if_missing:
        try:
            existing = load_artifact(args.out)
        except ArtifactError as e:
            print(f"no usable artifact yet ({e}); training one", file=sys.stderr)
        else:
            if args.ranking == "off" or "neighbor_rows" in existing.arrays:
                print(f"artifact {existing.version} already in {args.out}; nothing to do (--if-missing)")
                return 0
            # An MF-only artifact (--ranking off) is not the servable default: train the full one.
            print(f"artifact {existing.version} has no ranking blend (item graph); training one with it",
                  file=sys.stderr)
    try:
        params = _params(args)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    with phase("loading data"):
        dataset = load_dataset(args.dataset, args.download)
    return _write(args, params, dataset, None)


def _given(args: argparse.Namespace) -> set[str]:
    """The model parameters set on the command line."""
    return {name for name in SGD_ONLY + BPMF_ONLY + ("factors", "seed") if getattr(args, name, None) is not None}


def _write(args: argparse.Namespace, params: Params, dataset, tuning: dict | None,
           given: set[str] | None = None) -> int:
    sized = choose(len(dataset.user_ids()), len(dataset.movies), dataset.n_ratings, params,
                   _given(args) if given is None else given, args.ranking)
    print(f"sizing: {sized.note}", file=sys.stderr, flush=True)
    p = sized.params  # a BPMF final fit continues the evaluation fit's chain: fewer sweeps
    final = min(p.burn_in, WARM_BURN_IN) + p.samples if isinstance(p, BPMFParams) and not args.no_eval else None
    bars = EpochBars(p.epochs, final)
    try:
        path = train_artifact(args.out, sized.params, dataset, on_epoch=bars, tuning=tuning,
                              evaluate=not args.no_eval, ranking=sized.ranking, sizing=sized.record,
                              on_progress=lambda line: print(f"ranking: {line}", file=sys.stderr, flush=True))
    finally:
        bars.close()
    print(f"peak memory {peak_rss_gb():.2f} GB", file=sys.stderr)
    manifest = load_artifact(path).manifest
    metrics, serving = manifest["metrics"], manifest["serving"]
    ranked = ("no ranking blend (--ranking off)" if "tuned_by" not in serving else
              f"ranking blend ({sized.ranking}) alpha {serving['default_alpha']}, weights {serving['weights']}, "
              f"{serving['tuned_by']['seconds']:.1f} s")
    if "rerank" in serving:
        ranked += f" | re-rank stage: {_rerank_line(serving['rerank'])}"
    if not metrics.get("evaluated", True):
        print(f"wrote {path} | {dataset.name}: {dataset.n_ratings} ratings | not evaluated (--no-eval) | {ranked}")
        return 0
    print(f"wrote {path} | {dataset.name}: held-out RMSE {metrics['rmse']:.4f}, MAE {metrics['mae']:.4f} "
          f"(global mean RMSE {metrics['global_mean_rmse']:.4f}) | training took {metrics['train_seconds']:.2f} s "
          f"| {ranked}")
    return 0


def _rerank_line(record: dict) -> str:
    """The manifest's serving.rerank in one line: served or not, and the held-out fold's figures."""
    fold = record.get("held_out_fold")
    if fold is None:
        return f"not served ({record.get('why', 'not trained')})"
    served = "served" if record.get("kept") else "not served"
    kept_from = f", kept from {record['kept_from']}" if "kept_from" in record else ""
    return (f"{served}{kept_from}; held-out validation fold NDCG@10 {fold['blend_ndcg10']} (blend) -> "
            f"{fold['stage_ndcg10']} ({100 * fold['ndcg10_gain']:+.2f}%) on {fold['queries']} queries")


def _retrain(args: argparse.Namespace) -> int:
    try:
        params = _params(args)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return run_retrain(args, params)


def _tune(args: argparse.Namespace) -> int:
    from trainer.tune import MAX_EPOCHS, PATIENCE, SPACE, search, table

    dataset = load_dataset(args.dataset, args.download)
    print(f"random search, {args.trials} trials on {dataset.name} (train 64%, validate 16%; the 20% test part "
          f"is not used)", file=sys.stderr)
    trials = search(dataset, trials=args.trials, seed=args.seed,
                    on_trial=lambda t: print(f"  {t.row()}", file=sys.stderr, flush=True))
    print(table(trials))
    best = trials[0]
    tuning = {"method": f"random search, {args.trials} trials, seed {args.seed}, early stopping "
                        f"(patience {PATIENCE}, at most {MAX_EPOCHS} epochs)",
              "validation": "80% of the seed-42 training part, validated on its other 20%",
              "space": {k: list(v) for k, v in SPACE.items()}, "best": best.row(),
              "top": [t.row() for t in trials[:10]]}
    if args.out is None:
        return 0
    return _write(args, best.params, dataset, tuning, given=set(best.params.to_dict()))


def _evaluate(args: argparse.Namespace) -> int:
    from trainer.compare import HEADER, compare, markdown, surprise_available

    dataset = load_dataset(args.dataset, args.download)
    params = _params(args)
    if not args.no_surprise and not surprise_available():
        print("scikit-surprise is not installed (pip install -r bench/trainer/requirements.txt); "
              "its row is left out", file=sys.stderr)
    for kind in args.splits:
        print(f"\n{dataset.name}, {kind} split (seed {args.split_seed}), {dataset.n_ratings} ratings")
        print(" | ".join(HEADER), file=sys.stderr)
        rows = compare(dataset, params, kind, args.split_seed, not args.no_surprise,
                       on_row=lambda r: print("  " + " | ".join(r.cells()), file=sys.stderr, flush=True))
        print(markdown(rows))
    return 0


def _synth(args: argparse.Namespace) -> int:
    from trainer.export import write_csv_release

    dataset = load_dataset(f"synthetic:{args.size}", seed=args.seed)
    out = write_csv_release(dataset, args.out)
    print(f"wrote {dataset.n_ratings} ratings of {len(dataset.movies)} movies by {len(dataset.user_ids())} users "
          f"to {out} (load it with --dataset {out})")
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
    shown = sorted((k, v) for k, v in serving.items() if k not in ("tuned_by", "rerank"))
    print("serving      " + ", ".join(f"{k}={v}" for k, v in shown))
    if "tuned_by" in serving:
        t = serving["tuned_by"]
        print(f"ranking      {t.get('method')}; validation (NDCG@10 + Recall@10) / 2 "
              f"{serving.get('validation_ndcg_recall10', 'n/a')}; {t.get('seconds')} s")
    if "rerank" in serving:
        print(f"re-rank      {_rerank_line(serving['rerank'])}")
    if "sizing" in m:
        print("sizing       " + ("; ".join(m["sizing"].get("reasons", [])) or "the defaults as they are"))
    if "tuning" in m:
        print(f"tuning       {m['tuning'].get('method')}; best validation RMSE {m['tuning']['best']['valid_rmse']}")
    if art.stats is not None:
        t = art.stats["totals"]
        print(f"stats        {t['users']} users, {t['movies']} movies, {t['ratings']} ratings, sparsity "
              f"{t['sparsity']}, {len(art.stats['ratings_per_month'])} months, {len(art.stats['genres'])} genres")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m trainer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    fetch = commands.add_parser("fetch", help="download MovieLens 100K (recbole wheel) into the cache")
    fetch.add_argument("--download", metavar="NAME", help="instead fetch an official GroupLens release, e.g. ml-1m")
    fetch.set_defaults(run=_fetch)

    def data_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--dataset", default=None, help=DATASET_HELP)
        p.add_argument("--download", action="store_true", help="fetch --dataset NAME from GroupLens first")

    def param_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--model", choices=MODELS, default=None,
                       help=f"bpmf: Bayesian MF by Gibbs sampling; sgd: MF by SGD (default {DEFAULT_MODEL}, "
                            "or the model the other options belong to)")
        sgd, bpmf = TrainParams(), BPMFParams()
        for name, kind, help_text in [
            ("factors", int, f"latent factors (default {bpmf.factors} per sample for bpmf, {sgd.factors} for sgd)"),
            ("seed", int, f"seed of initialisation, shuffles and draws (default {sgd.seed})"),
            ("epochs", int, f"sgd: passes (default {sgd.epochs})"),
            ("lr", float, f"sgd: learning rate (default {sgd.lr})"),
            ("reg", float, f"sgd: L2 regularisation (default {sgd.reg})"),
            ("conf_scale", float, f"sgd: step scale 1 + X * rating, 0 disables (default {sgd.conf_scale})"),
            ("init_std", float, f"sgd: std of initial factors (default {sgd.init_std})"),
            ("lr_decay", float, f"sgd: lr multiplier per epoch (default {sgd.lr_decay})"),
            ("reg_bias", float, f"sgd: L2 on biases, <0: reg (default {sgd.reg_bias})"),
            ("samples", int, f"bpmf: kept Gibbs samples (default {bpmf.samples})"),
            ("burn_in", int, f"bpmf: sweeps dropped first (default {bpmf.burn_in})"),
            ("precision", float, f"bpmf: 1 / rating noise variance (default {bpmf.precision})"),
            ("beta0", float, f"bpmf: strength of the hyperprior on the means (default {bpmf.beta0})"),
            ("serve_factors", int, f"bpmf: factors exported, 0 = all samples x factors (default {bpmf.serve_factors})"),
            ("implicit", float, f"bpmf: prior strength of the implicit-feedback (who rated what) term, 0 = off "
                                f"(default {bpmf.implicit})"),
        ]:
            p.add_argument(f"--{name.replace('_', '-')}", dest=name, type=kind, default=None, help=help_text)

    def ranking_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--ranking", choices=RANKING_MODES, default=None,
                       help="tuned (default up to 12,000 movies): choose the serving blend on validation users and "
                            "add the item graph (~80 s of CPU on ML-100K); defaults (default above): the graph "
                            "with the default blend, no search; "
                            "off: MF only (quick runs; the scorer falls back to MF + popularity)")

    train = commands.add_parser("train", help="evaluate on an 80/20 split, train on all ratings, tune the ranking "
                                              "blend, write an artifact")
    train.add_argument("--out", type=Path, default=Path("artifacts"), help="artifact root (default: artifacts)")
    train.add_argument("--if-missing", action="store_true",
                       help="do nothing if --out/LATEST is a loadable artifact with an item graph (any artifact "
                            "with --ranking off)")
    train.add_argument("--no-eval", action="store_true", help="skip the held-out 80/20 run (big sets)")
    ranking_option(train)
    data_options(train)
    param_options(train)
    train.set_defaults(run=_train)

    retrain = commands.add_parser("retrain", help="train a candidate on the base dataset plus the app's stored "
                                                  "ratings; promote it only if the quality gate passes")
    add_retrain_options(retrain)
    data_options(retrain)
    param_options(retrain)
    retrain.set_defaults(run=_retrain)

    tune = commands.add_parser("tune", help="random search with early stopping; prints a table, writes the best")
    tune.add_argument("--trials", type=int, default=40, help="configurations to try (default 40)")
    tune.add_argument("--seed", type=int, default=0, help="seed of the search (default 0)")
    tune.add_argument("--out", type=Path, default=None, help="train the best into this artifact root")
    tune.add_argument("--no-eval", action="store_true", help=argparse.SUPPRESS)
    ranking_option(tune)
    data_options(tune)
    tune.set_defaults(run=_tune)

    evaluate = commands.add_parser("evaluate", help="baselines, reference, default and Surprise SVD side by side")
    evaluate.add_argument("--splits", nargs="+", default=["80/20", "5-fold"], choices=["80/20", "5-fold"])
    evaluate.add_argument("--split-seed", type=int, default=42)
    evaluate.add_argument("--no-surprise", action="store_true", help="leave Surprise's SVD out")
    data_options(evaluate)
    param_options(evaluate)
    evaluate.set_defaults(run=_evaluate)

    synth = commands.add_parser("synth", help="write a MovieLens-shaped synthetic set as ratings.csv + movies.csv")
    synth.add_argument("size", help="ml-100k, ml-1m, ml-10m, ml-25m, ml-32m or USERSxMOVIESxRATINGS")
    synth.add_argument("--out", type=Path, required=True, help="directory to write (created)")
    synth.add_argument("--seed", type=int, default=0)
    synth.set_defaults(run=_synth)

    info = commands.add_parser("info", help="summarise an artifact's manifest")
    info.add_argument("--artifact", type=Path, default=Path("artifacts"), help="artifact root or version dir")
    info.set_defaults(run=_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (FetchError, DataError, ArtifactError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
