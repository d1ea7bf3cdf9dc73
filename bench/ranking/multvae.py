"""Mult-VAE (Liang et al. 2018, "Variational Autoencoders for Collaborative Filtering") in PyTorch on the CPU.

[I -> 600 -> 200 (mean, log variance) -> 600 -> I], tanh, dropout 0.5 on the L2-normalised input,
multinomial log-likelihood with the KL term annealed linearly up to beta_max, Adam 1e-3, batches of
100 users. A held-out user is one forward pass of their inputs with the latent mean. Benchmark only:
torch is in bench/ranking/requirements.txt, never in the serving images.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from bench.ranking.strong import BatchScorer, Train, _inputs, _matrix, grid

HIDDEN, LATENT, DROPOUT, BATCH, LR = 600, 200, 0.5, 100, 1e-3
ANNEAL_STEPS = 1000  # optimiser steps until the KL weight reaches beta_max (~125 epochs of ~750 users)
CHECKPOINTS = (25, 50, 100)  # epochs at which a fit is scored: one training run gives every epoch count
# Liked-only input as in the paper (ratings >= 3.5 as positives): each training run costs about a minute
# on this machine, so the grid is the epoch count only.
VAE_GRID = grid(liked_only=(True,), beta_max=(0.2,), epochs=CHECKPOINTS)
VAE_SPLITS = 1  # validation splits for its tuning (of the 4 the others use): training time on the shared machine


def multvae(train: Train, n_items: int, points: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], BatchScorer]]:
    """One training run per (liked_only, beta_max), yielding a scorer at each requested epoch count."""
    import torch  # benchmark-only dependency
    from torch import nn

    torch.set_num_threads(1)  # the shared 2-core machine; as OPENBLAS_NUM_THREADS=1 for numpy

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc, self.stats = nn.Linear(n_items, HIDDEN), nn.Linear(HIDDEN, 2 * LATENT)
            self.dec, self.out = nn.Linear(LATENT, HIDDEN), nn.Linear(HIDDEN, n_items)
            self.drop = nn.Dropout(DROPOUT)

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            h = torch.tanh(self.enc(self.drop(nn.functional.normalize(x, dim=1))))
            mu, logvar = self.stats(h).chunk(2, dim=1)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
            return self.out(torch.tanh(self.dec(z))), mu, logvar

    runs: dict[tuple[bool, float], list[dict[str, Any]]] = {}
    for p in points:
        runs.setdefault((p["liked_only"], p["beta_max"]), []).append(p)
    for (liked_only, beta_max), wanted in runs.items():
        torch.manual_seed(0)
        rng = np.random.default_rng(0)
        x = torch.from_numpy(_matrix(train, n_items, liked_only).toarray())
        net = Net()
        opt = torch.optim.Adam(net.parameters(), lr=LR)
        step = 0
        at = {p["epochs"]: p for p in wanted}
        for epoch in range(1, max(at) + 1):
            net.train()
            for batch in np.array_split(rng.permutation(len(x)), max(1, len(x) // BATCH)):
                xb = x[torch.from_numpy(batch)]
                logits, mu, logvar = net(xb)
                nll = -(torch.log_softmax(logits, dim=1) * xb).sum(dim=1).mean()
                kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1).mean()
                loss = nll + min(beta_max, beta_max * step / ANNEAL_STEPS) * kl
                opt.zero_grad()
                loss.backward()
                opt.step()
                step += 1
            if epoch in at:
                net.eval()
                state = {k: v.clone() for k, v in net.state_dict().items()}

                def scorer(r: np.ndarray, s: np.ndarray, state=state) -> np.ndarray:
                    frozen = Net()
                    frozen.load_state_dict(state)
                    frozen.eval()
                    with torch.no_grad():
                        return frozen(torch.from_numpy(_inputs(r, n_items).toarray()))[0].numpy()
                yield at[epoch], scorer
