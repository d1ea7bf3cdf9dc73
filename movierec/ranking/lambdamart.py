"""The re-rank stage's model: a LightGBM LambdaMART Booster read from its text format (never a pickle)."""
from __future__ import annotations

import lightgbm
import numpy as np

from movierec.ranking.rerank_features import FEATURES, LEGACY_FEATURES


class LambdaMart:
    """Scores a request's candidates (C, len(FEATURES)) float32 -> (C,) float64 with a Booster of model_text.

    candidates: how many of the blend's best the stage re-ranks (the number it was trained on).
    ValueError when the text is not a LightGBM model or its features are not FEATURES in order; a model
    learnt on their first LEGACY_FEATURES or more (a stage written before later features were added) is
    served with those columns only.
    """

    def __init__(self, model_text: str, candidates: int) -> None:
        if candidates < 1:
            raise ValueError(f"the re-rank stage needs at least 1 candidate, got {candidates}")
        try:
            self.booster = lightgbm.Booster(model_str=model_text)
        except lightgbm.basic.LightGBMError as e:
            raise ValueError(f"the re-rank model is not a LightGBM model text: {e}") from None
        names = tuple(self.booster.feature_name())
        if len(names) < LEGACY_FEATURES or names != FEATURES[:len(names)]:
            raise ValueError(f"the re-rank model's features {names} are not this scorer's {FEATURES}")
        self.n_features = len(names)
        self.candidates = candidates

    def scores(self, features: np.ndarray) -> np.ndarray:
        # One thread: a request's 50 rows are far too few to pay for OpenMP's start-up.
        return np.asarray(self.booster.predict(features[:, :self.n_features], num_threads=1), dtype=np.float64)
