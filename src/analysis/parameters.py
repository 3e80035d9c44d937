"""What each report parameter may be: type, range and allowed values, checked before any kernel starts.

The notebooks' ``parameters`` cells declare names, types and defaults; this module adds the rules a
type cannot say (``churn_days`` at least 1, ``cohort_grain`` one of day/week/month, dates that exist),
so a bad value stops ``analysis run`` with one clear line instead of failing inside a kernel.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from analysis.definitions import CONTRIBUTION_TYPES, EXPERIMENT_METRICS

# Definitions every report of a run must share: they may be set for the whole run only (top level of a
# parameter file), never for one report.
RUN_LEVEL = ("as_of", "tz", "weights", "core_share", "window_days", "churn_days")


class ParameterError(ValueError):
    """A parameter value breaks its rule."""


def _int_range(lo: int, hi: int) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise ParameterError(f"must be a whole number from {lo} to {hi}, got {v!r}")
        return v

    return check


def _number(lo: float, hi: float, lo_open: bool = False) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        if not ok or v > hi or v < lo or (lo_open and v == lo):
            bound = f"{'(' if lo_open else '['}{lo:g}, {hi:g}]"
            raise ParameterError(f"must be a number in {bound}, got {v!r}")
        return v

    return check


def _choice(*allowed: str) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        if v not in allowed:
            shown = ", ".join(repr(a) if a == "" else a for a in allowed)
            raise ParameterError(f"must be one of {shown}, got {v!r}")
        return v

    return check


def _date(v: Any) -> Any:
    if v in (None, ""):
        return ""
    try:
        return date.fromisoformat(str(v)).isoformat()
    except ValueError as exc:
        raise ParameterError(f"must be a date YYYY-MM-DD, got {v!r}") from exc


def _window(v: Any) -> Any:
    if not isinstance(v, list | tuple) or len(v) not in (0, 2):
        raise ParameterError(f"must be [] or [start, end] as YYYY-MM-DD, got {v!r}")
    days = [_date(d) for d in v]
    if days and days[0] > days[1]:
        raise ParameterError(f"start {days[0]} is after end {days[1]}")
    return days


def _tz(v: Any) -> Any:
    try:
        ZoneInfo(str(v))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ParameterError(f"must be an IANA time zone such as Asia/Shanghai, got {v!r}") from exc
    return v


def _weights(v: Any) -> Any:
    if not isinstance(v, dict) or not v:
        raise ParameterError(f"must map contribution types to weights, got {v!r}")
    unknown = sorted(set(map(str, v)) - set(CONTRIBUTION_TYPES))
    if unknown:
        raise ParameterError(f"unknown contribution types {unknown}; known: {', '.join(CONTRIBUTION_TYPES)}")
    for k, w in v.items():
        if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) or w < 0:
            raise ParameterError(f"weight of {k} must be a number 0 or more, got {w!r}")
    if not any(v.values()):
        raise ParameterError("at least one weight must be above 0")
    return v


def _metrics(v: Any) -> Any:
    if not isinstance(v, list | tuple) or not v:
        raise ParameterError(f"must be a non-empty list of metrics, got {v!r}")
    unknown = [m for m in v if m not in EXPERIMENT_METRICS]
    if unknown:
        raise ParameterError(f"unknown metrics {unknown}; known: {', '.join(EXPERIMENT_METRICS)}")
    return list(v)


def _shares(v: Any) -> list[float]:
    if not isinstance(v, list) or not all(isinstance(x, (int, float)) and 0 <= x <= 1 for x in v):
        raise ParameterError("must be a list of shares between 0 and 1, e.g. [0, 0.3, 0.7]")
    return [float(x) for x in v]


RULES: dict[str, Callable[[Any], Any]] = {
    "as_of": _date,
    "tz": _tz,
    "weeks": _int_range(1, 520),
    "compare_window": _window,
    "highlight_window": _window,
    "cohort_grain": _choice("day", "week", "month"),
    "breakdown": _choice("", "community", "channel"),
    "window_days": _int_range(1, 365),
    "weights": _weights,
    "core_share": _number(0, 1, lo_open=True),
    "compare_days": _int_range(1, 3650),
    "invite_window_days": _int_range(1, 365),
    "churn_days": _int_range(1, 365),
    "landmark_days": _int_range(0, 365),
    "group_by": _choice("lm_tier", "channel", "community", "cohort_month"),
    "tier_reference": _choice("", "core", "active", "lurker", "dormant"),
    "horizon_days": _int_range(1, 365),
    "rmst_tau": _int_range(1, 3650),
    "strata": _choice("", "community", "channel"),
    "left_truncation": _choice("exclude", "entry"),
    "metric_days": _int_range(1, 365),
    "primary_metrics": _metrics,
    "alpha": _number(0, 0.5, lo_open=True),
    "unit": _choice("", "member", "community"),
    "saturations": _shares,
}


def check(name: str, value: Any) -> Any:
    """``value`` normalised (dates as ISO strings), or ParameterError saying what the rule is."""
    rule = RULES.get(name)
    return value if rule is None else rule(value)
