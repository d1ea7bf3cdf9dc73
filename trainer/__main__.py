"""Entry point of `python -m trainer`."""
import os

# One BLAS thread, set before numpy loads OpenBLAS: the trainer's hot loops are numba, and the few BLAS
# calls (BPMF's factor compression) measured 15-100x slower with OpenBLAS's threads on this shared,
# oversubscribed 2-core machine (a 943x120 QR: 82 ms threaded, 5.7 ms on one thread).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from trainer.cli import main  # noqa: E402

raise SystemExit(main())
