"""The app's figures for the dashboard: ratings per UTC day, active accounts, the rating distribution."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from movierec.store.schema import accounts, events, ratings

DAY_MS = 86_400_000
MAX_DAYS = 365
DEFAULT_DAYS = 30
ACTIVE_WINDOWS_DAYS = (1, 7, 30)


@dataclass(frozen=True)
class AppStats:
    accounts: int
    active_accounts: dict[int, int]  # window in days -> accounts with an event in it
    ratings_per_day: list[tuple[str, int]]  # ("YYYY-MM-DD", count), oldest first, every day of the period
    rating_histogram: list[int]  # 10 counts: half stars 1..10
    ratings: int


def app_stats(engine: Engine, days: int, now_ms: int) -> AppStats:
    """Figures as of now_ms (unix milliseconds) over the last `days` UTC days, today included."""
    first_day = now_ms // DAY_MS - (days - 1)  # days since the epoch
    start_ms = first_day * DAY_MS
    with engine.connect().execution_options(read_only=True) as conn:
        n_accounts = conn.execute(select(func.count()).select_from(accounts)).scalar()
        active = {w: conn.execute(select(func.count(events.c.account_id.distinct()))
                                  .where(events.c.at_ms > now_ms - w * DAY_MS)).scalar()
                  for w in ACTIVE_WINDOWS_DAYS}
        day = (events.c.at_ms // DAY_MS).label("day")
        per_day = dict(conn.execute(select(day, func.count()).where(events.c.kind == "rating_set",
                                                                   events.c.at_ms >= start_ms).group_by(day)).all())
        by_value = dict(conn.execute(select(ratings.c.half_stars, func.count()).group_by(ratings.c.half_stars)).all())
    epoch = dt.date(1970, 1, 1)
    return AppStats(
        accounts=n_accounts, active_accounts=active,
        ratings_per_day=[((epoch + dt.timedelta(days=d)).isoformat(), int(per_day.get(d, 0)))
                         for d in range(first_day, first_day + days)],
        rating_histogram=[int(by_value.get(h, 0)) for h in range(1, 11)],
        ratings=sum(by_value.values()))
