"""A straightforward pandas implementation of the KPIs: the speed baseline for benchmarks/ and an
independent cross-check in tests/. It reads the raw tables into memory, so it only fits small data."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

CONTRIB = ["post", "comment", "share", "like"]


def local_days(ts: pd.Series, tz: str) -> pd.Series:
    """Naive-UTC (or tz-aware) timestamps -> local calendar dates."""
    ts = pd.to_datetime(ts)
    if ts.dt.tz is None:
        ts = ts.dt.tz_localize("UTC")
    return ts.dt.tz_convert(tz).dt.date


def daily(events: pd.DataFrame, tz: str, as_of: date) -> pd.DataFrame:
    e = events.assign(day=local_days(events["ts"], tz))
    e = e[e["day"] <= as_of]
    first = e["day"].min()
    days = [first + timedelta(days=i) for i in range((as_of - first).days + 1)]
    md = e[["member_id", "day"]].drop_duplicates()
    rows = []
    for d in days:
        today = e[e["day"] == d]
        contrib = today[today["event_type"].isin(CONTRIB)]
        rows.append(
            {
                "date": d,
                "uv": today.loc[today["event_type"] == "visit", "member_id"].nunique(),
                "dau": today["member_id"].nunique(),
                "wau": md.loc[(md["day"] > d - timedelta(days=7)) & (md["day"] <= d), "member_id"].nunique(),
                "mau": md.loc[(md["day"] > d - timedelta(days=30)) & (md["day"] <= d), "member_id"].nunique(),
                "posts": int((today["event_type"] == "post").sum()),
                "comments": int((today["event_type"] == "comment").sum()),
                "shares": int((today["event_type"] == "share").sum()),
                "likes": int((today["event_type"] == "like").sum()),
                "contributions": len(contrib),
                "contributors": contrib["member_id"].nunique(),
            }
        )
    out = pd.DataFrame(rows)
    out["dau_mau"] = out["dau"] / out["mau"]
    return out


def new_member_retention(
    members: pd.DataFrame, events: pd.DataFrame, tz: str, as_of: date, days=(1, 7, 14, 30)
) -> pd.DataFrame:
    e = events.assign(day=local_days(events["ts"], tz))
    e = e[e["day"] <= as_of]
    first = e["day"].min()
    m = members.assign(join_day=local_days(members["joined_at"], tz))
    m = m[(m["join_day"] >= first) & (m["join_day"] <= as_of)]
    active = set(zip(e["member_id"], e["day"], strict=True))
    rows = []
    for c, g in m.groupby("join_day"):
        for k in days:
            complete = c + timedelta(days=k) <= as_of
            kept = sum((mid, c + timedelta(days=k)) in active for mid in g["member_id"])
            rows.append(
                {
                    "cohort_date": c,
                    "cohort_size": len(g),
                    "day": k,
                    "retained": float(kept) if complete else np.nan,
                    "is_complete": complete,
                }
            )
    out = pd.DataFrame(rows)
    out["rate"] = out["retained"] / out["cohort_size"]
    return out


def two_week_retention(events: pd.DataFrame, tz: str, as_of: date) -> pd.DataFrame:
    e = events.assign(day=local_days(events["ts"], tz))
    e = e[e["day"] <= as_of]
    first = e["day"].min()
    rows = []
    j = 1
    while True:
        end = as_of - timedelta(days=14 * j)
        start = end - timedelta(days=13)
        if start < first:
            break
        base = set(e.loc[(e["day"] >= start) & (e["day"] <= end), "member_id"])
        nxt = set(e.loc[(e["day"] > end) & (e["day"] <= end + timedelta(days=14)), "member_id"])
        rows.append(
            {"block_start": start, "block_end": end, "active": len(base), "retained": len(base & nxt)}
        )
        j += 1
    out = pd.DataFrame(rows).sort_values("block_start").reset_index(drop=True)
    out["rate"] = out["retained"] / out["active"]
    return out


def monthly_retention(events: pd.DataFrame, tz: str, as_of: date) -> pd.DataFrame:
    e = events.assign(day=local_days(events["ts"], tz))
    e = e[e["day"] <= as_of]
    e["month"] = pd.to_datetime(e["day"]).dt.to_period("M")
    by_month = e.groupby("month")["member_id"].apply(set)
    rows = []
    for mth, members in by_month.items():
        nxt = by_month.get(mth + 1, set())
        complete = (mth + 1).end_time.date() <= as_of
        rows.append(
            {
                "month": str(mth),
                "active": len(members),
                "retained": float(len(members & nxt)) if complete else np.nan,
                "is_complete": complete,
            }
        )
    out = pd.DataFrame(rows)
    out["rate"] = out["retained"] / out["active"]
    return out
