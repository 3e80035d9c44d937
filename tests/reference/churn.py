"""The churn rule on plain rows: for each member, the first active day d on or after its start day such
that the next active day (or as_of + 1 when there is none) is more than ``churn_days`` days later."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd


def first_quiet_day(days: pd.DataFrame, starts: pd.DataFrame, as_of: date, churn_days: int) -> pd.Series:
    """``days``: member_id, day (active local days); ``starts``: member_id, start_day. Returns the
    churn day per member of ``starts`` (NaT when none), by a loop over each member's sorted days."""
    by_member = days.groupby("member_id")["day"].apply(lambda s: sorted(pd.to_datetime(s).dt.date))
    out = {}
    end = as_of + timedelta(days=1)
    for member, start in zip(starts["member_id"], pd.to_datetime(starts["start_day"]).dt.date, strict=True):
        active = [d for d in by_member.get(member, []) if start <= d <= as_of]
        found = pd.NaT
        for i, d in enumerate(active):
            nxt = active[i + 1] if i + 1 < len(active) else end
            if (nxt - d).days - 1 >= churn_days:
                found = pd.Timestamp(d)
                break
        out[member] = found
    return pd.Series(out, name="churn_day")
