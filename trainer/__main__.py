"""Entry point of `python -m trainer`."""
import os

# One BLAS thread, set before numpy loads OpenBLAS: the hot loops are numba's, and the few small BLAS calls
# (BPMF's factor compression) are far slower when OpenBLAS's threads fight numba's for the cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from trainer.cli import main  # noqa: E402

raise SystemExit(main())
