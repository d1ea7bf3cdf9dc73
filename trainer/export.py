"""Writes a Dataset in the MovieLens CSV layout (ratings.csv + movies.csv) that trainer.formats loads back."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from trainer.dataset import Dataset


def write_csv_release(dataset: Dataset, out: Path | str) -> Path:
    """out/ratings.csv (userId,movieId,rating,timestamp) and out/movies.csv (movieId,title,genres).

    Titles carry their year as "Title (1995)" and genres are "|"-joined, as in ml-25m.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    movies = pd.DataFrame({
        "movieId": [m.movie_id for m in dataset.movies],
        "title": [f"{m.title} ({m.year})" if m.year else m.title for m in dataset.movies],
        "genres": ["|".join(m.genres) or "(no genres listed)" for m in dataset.movies],
    })
    movies.to_csv(out / "movies.csv", index=False)
    ratings = pd.DataFrame({"userId": dataset.user_id, "movieId": dataset.movie_id,
                            "rating": dataset.rating, "timestamp": dataset.timestamp})
    ratings.to_csv(out / "ratings.csv", index=False, float_format="%g", chunksize=1 << 20)
    return out
