"""Independent reference for the invite counts and a Galton–Watson invite process (tests of
analysis.growth): plain pandas/numpy on the members table, no Ibis."""

from __future__ import annotations

import numpy as np
import pandas as pd


def window_counts(members: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """Per member (member_id, join_day as datetime, invited_by): invitees who joined inside the
    member's invite window (day offset 0 .. window_days - 1) and invitees in all."""
    kids = members.dropna(subset=["invited_by"]).merge(
        members[["member_id", "join_day"]], left_on="invited_by", right_on="member_id", suffixes=("", "_p")
    )
    offset = (kids["join_day"] - kids["join_day_p"]).dt.days
    inside = kids[(offset >= 0) & (offset < window_days)].groupby("invited_by").size()
    every = kids.groupby("invited_by").size()
    out = members[["member_id"]].copy()
    out["invitees_joined"] = out["member_id"].map(inside).fillna(0).astype("int64")
    out["invitees_all"] = out["member_id"].map(every).fillna(0).astype("int64")
    return out


def galton_watson(
    rng: np.random.Generator, k: float, window_days: int, root_days: int, days: int, roots_per_day: float
) -> pd.DataFrame:
    """A branching invite process: roots join on days 0 .. root_days - 1 (Poisson per day); every member
    brings Poisson(k) invitees, each joining 0 .. window_days - 1 days after them (uniform); members
    joining on day ``days`` or later are not observed. Columns: member_id, invited_by, join_day."""
    n_roots = rng.poisson(roots_per_day, root_days)
    day = np.repeat(np.arange(root_days), n_roots)
    parent = np.full(day.size, -1)
    days_all, parents_all = [day], [parent]
    offset, gen_day = 0, day
    while gen_day.size:
        kids = rng.poisson(k, gen_day.size)
        p = np.repeat(np.arange(offset, offset + gen_day.size), kids)
        d = np.repeat(gen_day, kids) + rng.integers(0, window_days, kids.sum())
        keep = d < days
        offset += gen_day.size
        gen_day = d[keep]
        days_all.append(gen_day)
        parents_all.append(p[keep])
    join = np.concatenate(days_all)
    par = np.concatenate(parents_all)
    ids = np.char.add("g", np.arange(join.size).astype(str)).astype(object)
    return pd.DataFrame(
        {
            "member_id": ids,
            "invited_by": np.where(par >= 0, ids[np.maximum(par, 0)], None),
            "join_day": pd.Timestamp("2026-01-01") + pd.to_timedelta(join, unit="D"),
        }
    )
