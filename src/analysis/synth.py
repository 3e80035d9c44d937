"""Simulated community with planted ground truth (`analysis synth`).

The generator works on *local days* (``tz``, default Asia/Shanghai): day 0 is ``start``, days
``0 .. days-1`` are complete and day ``days`` is a partial export day that ends at ``export_hour``
local time, as a real export taken in the morning would. ``as_of`` of the data is ``start + days - 1``.

Model, per member (all parameters are recorded in ``ground_truth.json``):

- joins grow exponentially through five channels; a share joined before the log starts (left
  truncation); invitees name an inviter who was active on the day they joined;
- a latent segment (core-type, regular, lurker) sets the daily activity probability, the contribution
  rate and mix, the check-in propensity and the base departure hazard; the channel multiplies the hazard;
- a member is *present* from joining until departure (constant daily hazard, ``Exp(1)`` budget), and
  may come back once after at least 31 days away; present members are active on a day with their
  activity probability times a weekday rhythm and a festival boost; on active days visits,
  contributions (post, comment, share, like) and check-ins are Poisson/Bernoulli;
- an incentive experiment assigns every member active in the enrolment window, at their first event
  of the first active day, to ``control`` or one of three schemes on an unequal split. A scheme
  multiplies activity, contribution and check-in rates and the departure hazard by segment from the
  day after assignment, with a novelty decay by week.

Ground truth for the experiment is the average over assigned members of the *expected* difference
between their metric under a scheme and under control, given their state at assignment, estimated by a
Monte Carlo with common random numbers across arms (``truth_reps`` replicates per member).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from analysis.definitions import CONTRIBUTION_TYPES, DEFAULT_TZ, DEFAULT_WEIGHTS, EXPERIMENT_METRICS

__all__ = [
    "SegmentParams",
    "SynthConfig",
    "generate",
]

SEGMENTS = ("core", "regular", "lurker")
CHANNELS = ("organic", "search", "social", "invite", "ads")
COMMUNITIES = ("Photography", "Travel", "Food & Cooking", "Gadgets", "Parenting")
EVENT_TYPES_SIMULATED = ("visit", "post", "comment", "share", "like", "checkin")
ARMS = ("control", "points", "badges", "cash")
METRICS = EXPERIMENT_METRICS  # the metrics whose planted effects the ground truth records

# Local hour-of-day profile of events (relative weights, hour 0..23).
HOURLY_PROFILE = np.array(
    [2, 1, 0.6, 0.4, 0.3, 0.4, 1, 2, 3, 3.5, 3.5, 4, 5, 4.5, 3.5, 3.5, 3.5, 4, 5, 6, 7, 7.5, 6.5, 4],
    dtype=float,
)
# Activity multiplier by weekday, Monday first.
WEEKDAY_ACTIVITY = np.array([0.92, 0.92, 0.94, 0.95, 1.0, 1.15, 1.12])


@dataclass(frozen=True)
class SegmentParams:
    """Latent engagement of one segment (per active day unless stated)."""

    share: float
    active_beta: tuple[float, float]  # daily activity probability ~ Beta(a, b) while present
    contribution_mean: float  # mean contributions per active day (lognormal across members)
    contribution_sigma: float
    mix: tuple[float, float, float, float]  # post, comment, share, like
    checkin_beta: tuple[float, float]  # check-in probability per active day ~ Beta(a, b)
    visits_mean: float  # Poisson mean of visits per active day
    hazard_per_day: float  # base daily departure hazard
    comeback_probability: float


SEGMENT_PARAMS: dict[str, SegmentParams] = {
    "core": SegmentParams(0.05, (6, 2), 3.0, 0.5, (0.30, 0.35, 0.10, 0.25), (3, 5), 2.5, 1 / 400, 0.35),
    "regular": SegmentParams(0.25, (4, 4), 0.6, 0.6, (0.10, 0.30, 0.10, 0.50), (2, 6), 1.8, 1 / 180, 0.25),
    "lurker": SegmentParams(0.70, (2.5, 5), 0.04, 0.8, (0.02, 0.10, 0.08, 0.80), (1, 9), 1.4, 1 / 90, 0.15),
}
CHANNEL_SHARE = {"organic": 0.35, "search": 0.20, "social": 0.18, "invite": 0.15, "ads": 0.12}
# Invitations: an invitee names a member whose invite window (their join day and the 29 days after it)
# is open and who is active that day, picked in proportion to the segment's intensity.
INVITE_WINDOW_DAYS = 30
INVITE_INTENSITY = {"core": 10.0, "regular": 3.0, "lurker": 0.3}
CHANNEL_HAZARD = {"organic": 1.0, "search": 1.1, "social": 1.3, "invite": 0.7, "ads": 1.6}
COMMUNITY_SHARE = (0.30, 0.25, 0.20, 0.15, 0.10)
COMEBACK_MIN_GAP_DAYS = 31
COMEBACK_MEAN_EXTRA_DAYS = 45.0
COMEBACK_HAZARD_MULTIPLIER = 1.3
JOIN_DAY_ACTIVE_PROBABILITY = 0.9
MAX_ACTIVE_PROBABILITY = 0.97
MAX_CHECKIN_PROBABILITY = 0.98

# Scheme effects: multipliers by arm and segment, applied from the day after assignment.
# Keys: p_active, post, comment, share, like, checkin, hazard.  Missing keys mean 1.
ARM_EFFECTS: dict[str, dict[str, dict[str, float]]] = {
    "control": {"core": {}, "regular": {}, "lurker": {}},
    # Points: lurkers farm check-ins and likes, core members feel cheapened and leave.
    "points": {
        "core": {"post": 0.9, "checkin": 1.5, "hazard": 1.8},
        "regular": {"p_active": 1.05, "like": 1.3, "comment": 1.05, "checkin": 2.5},
        "lurker": {"p_active": 1.10, "like": 1.6, "checkin": 3.0},
    },
    # Badges: recognition for real contributions; core members stay longer.
    "badges": {
        "core": {"post": 1.15, "comment": 1.15, "hazard": 0.6},
        "regular": {"post": 1.2, "comment": 1.15, "hazard": 0.9},
        "lurker": {"comment": 1.05},
    },
    # Cash: reward farmers arrive (check-ins, likes, shares), core members post less and leave.
    "cash": {
        "core": {"post": 0.85, "comment": 0.9, "checkin": 2.0, "hazard": 1.3},
        "regular": {"p_active": 1.10, "like": 1.5, "checkin": 3.0},
        "lurker": {"p_active": 1.25, "like": 2.0, "share": 1.5, "checkin": 4.0, "hazard": 0.9},
    },
}
# Weekly decay of (multiplier - 1): week w after assignment uses 1 + (m - 1) * decay**w.
ARM_NOVELTY_DECAY = {"control": 1.0, "points": 0.6, "badges": 1.0, "cash": 0.85}
ARM_WEIGHTS = {"control": 0.4, "points": 0.2, "badges": 0.2, "cash": 0.2}
# Reward cost (CNY) per rewarded event in the 28 days after assignment.
ARM_COSTS = {
    "points": {"checkin": 0.02, "post": 0.05, "comment": 0.05, "share": 0.05, "like": 0.05},
    "badges": {},
    "cash": {"checkin": 0.5, "post": 1.0, "comment": 1.0, "share": 0.2, "like": 0.2},
}
MULTIPLE_EXPOSURE_SHARE = 0.004


@dataclass(frozen=True)
class SynthConfig:
    """Size, calendar and randomness of a simulated community."""

    members: int = 20_000
    seed: int = 7
    start: date = date(2026, 1, 1)
    days: int = 180
    tz: str = DEFAULT_TZ
    export_hour: int = 9
    prelog_share: float = 0.12
    prelog_days: int = 120
    festival: tuple[date, date] = (date(2026, 6, 12), date(2026, 6, 18))
    festival_activity: float = 1.5
    festival_contribution: float = 1.3
    experiment: str = "incentives_2026q2"
    experiment_start_offset: int = 75  # experiment starts this many days before the end of the log
    enrollment_days: int = 21
    metric_days: int = 28
    chunk_members: int = 25_000
    truth_reps: int | None = None  # Monte Carlo replicates per assigned member; None: by size
    file_format: str = "parquet"
    # "member": each member draws an arm; "community": whole communities get one arm (cluster design);
    # "saturation": communities draw a share of members to treat (``saturations``, 0 = pure control) and
    # members inside are treated with ``saturation_arm`` at that share
    design: str = "member"
    saturations: tuple[float, ...] = (0.0, 0.3, 0.7)
    saturation_arm: str = "badges"
    spillover: float = 1.0  # saturation design: contribution-rate multiplier after assignment for every
    # assigned member of a community with treated members (so the untreated feel the scheme too)
    communities: int = 0  # 0: the five named communities; else this many (社群01, 社群02, ...), unequal sizes
    community_sd: float = 0.0  # sd of a community's log-multiplier of activity and contribution (the ICC)

    @property
    def as_of(self) -> date:
        """The last complete local day of the simulated log."""
        return self.start + timedelta(days=self.days - 1)

    @property
    def experiment_start(self) -> date:
        """The local day the simulated experiment starts assigning members."""
        return self.start + timedelta(days=self.days - self.experiment_start_offset)

    @property
    def n_days(self) -> int:
        """Simulated local days including the partial export day."""
        return self.days + 1


# --------------------------------------------------------------------------------------------------
# helpers


def _hour_cdf() -> np.ndarray:
    w = HOURLY_PROFILE / HOURLY_PROFILE.sum()
    return np.concatenate([[0.0], np.cumsum(w)])


def time_of_day_cdf(seconds: np.ndarray) -> np.ndarray:
    """Share of a day's events that fall before ``seconds`` after local midnight.

    Parameters
    ----------
    seconds : numpy.ndarray
        Seconds after local midnight.

    Returns
    -------
    numpy.ndarray
        Shares in [0, 1], the same shape.
    """
    cdf = _hour_cdf()
    hours = np.clip(np.asarray(seconds, dtype=float) / 3600.0, 0, 24)
    h = np.minimum(np.floor(hours).astype(int), 23)
    return cdf[h] + (hours - h) * (cdf[h + 1] - cdf[h])


def _sample_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Local seconds after midnight from the hourly profile (uniform within the hour)."""
    cdf = _hour_cdf()
    hour = np.searchsorted(cdf, rng.random(n), side="right") - 1
    hour = np.clip(hour, 0, 23)
    return hour * 3600 + rng.integers(0, 3600, n)


def _utc_offset_seconds(tz: str, day: date) -> int:
    local_noon = datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(tz))
    return int(local_noon.utcoffset().total_seconds())


def _week_multiplier(m: np.ndarray, decay: np.ndarray, week: np.ndarray) -> np.ndarray:
    return 1.0 + (m - 1.0) * decay**week


def _member_ids(index: np.ndarray) -> np.ndarray:
    return np.char.add("m", np.char.zfill(index.astype(str), 7))


@dataclass
class _Members:
    """Member-level latent state (arrays of length n, sorted by join time)."""

    join_t: np.ndarray  # local days since log start (fractional; negative = before the log)
    segment: np.ndarray  # index into SEGMENTS
    channel: np.ndarray  # index into CHANNELS
    community: np.ndarray  # index into COMMUNITIES
    p_active: np.ndarray
    contribution_rate: np.ndarray
    checkin_p: np.ndarray
    visits_mean: np.ndarray
    hazard: np.ndarray  # spell-1 daily hazard
    budget1: np.ndarray  # Exp(1) hazard budget of spell 1
    budget2: np.ndarray
    comeback: np.ndarray  # bool
    comeback_gap: np.ndarray  # days between departure and return
    inviter: np.ndarray  # index or -1
    community_names: np.ndarray = field(default_factory=lambda: np.array(COMMUNITIES, dtype=object))
    community_effect: np.ndarray | None = None  # log-multiplier of each community (community_sd > 0)
    community_arm: np.ndarray | None = None  # arm index of each community (community design)
    community_saturation: np.ndarray | None = None  # share treated in each community (saturation design)

    @property
    def join_day(self) -> np.ndarray:
        return np.floor(self.join_t).astype(np.int64)


def _draw_members(cfg: SynthConfig, rng: np.random.Generator) -> _Members:
    n = cfg.members
    n_pre = int(round(n * cfg.prelog_share))
    pre = rng.uniform(-cfg.prelog_days, 0, n_pre)
    # exponential growth of joins over the log, doubling over its length
    g = math.log(2) / cfg.days
    end = cfg.days + cfg.export_hour / 24
    u = rng.random(n - n_pre)
    inlog = np.log1p(u * (math.exp(g * end) - 1)) / g
    join_t = np.sort(np.concatenate([pre, inlog]))

    channel = rng.choice(len(CHANNELS), n, p=list(CHANNEL_SHARE.values()))
    seg_probs = np.array([p.share for p in SEGMENT_PARAMS.values()])
    invite_probs = np.array([0.08, 0.32, 0.60])  # invitees are brought in by engaged members
    segment = np.where(
        channel == CHANNELS.index("invite"),
        rng.choice(3, n, p=invite_probs),
        rng.choice(3, n, p=seg_probs),
    )
    community = rng.choice(len(COMMUNITIES), n, p=COMMUNITY_SHARE)

    p_active = np.empty(n)
    rate = np.empty(n)
    checkin = np.empty(n)
    visits = np.empty(n)
    hazard = np.empty(n)
    comeback_p = np.empty(n)
    for s, name in enumerate(SEGMENTS):
        sp = SEGMENT_PARAMS[name]
        idx = segment == s
        k = int(idx.sum())
        p_active[idx] = np.clip(rng.beta(*sp.active_beta, k), 0.05, 0.95)
        mu = math.log(sp.contribution_mean) - sp.contribution_sigma**2 / 2
        rate[idx] = rng.lognormal(mu, sp.contribution_sigma, k)
        checkin[idx] = rng.beta(*sp.checkin_beta, k)
        visits[idx] = sp.visits_mean
        hazard[idx] = sp.hazard_per_day
        comeback_p[idx] = sp.comeback_probability
    hazard = hazard * np.array([CHANNEL_HAZARD[c] for c in CHANNELS])[channel]
    return _Members(
        join_t=join_t,
        segment=segment,
        channel=channel,
        community=community,
        p_active=p_active,
        contribution_rate=rate,
        checkin_p=checkin,
        visits_mean=visits,
        hazard=hazard,
        budget1=rng.exponential(1.0, n),
        budget2=rng.exponential(1.0, n),
        comeback=rng.random(n) < comeback_p,
        comeback_gap=COMEBACK_MIN_GAP_DAYS + np.floor(rng.exponential(COMEBACK_MEAN_EXTRA_DAYS, n)),
        inviter=np.full(n, -1, dtype=np.int64),
    )


def _communities(cfg: SynthConfig, m: _Members, rng: np.random.Generator) -> None:
    """Many communities of unequal size (``communities``), each with its own level of activity
    (``community_sd``), and whole communities randomised to arms (``design="community"``); the
    default community has none of these and draws nothing."""
    if cfg.design not in ("member", "community", "saturation"):
        raise ValueError(f"design must be 'member', 'community' or 'saturation', not {cfg.design!r}")
    if cfg.communities:
        k = cfg.communities
        m.community_names = np.array([f"社群{i + 1:02d}" for i in range(k)], dtype=object)
        share = rng.lognormal(0, 0.8, k)
        m.community = rng.choice(k, m.segment.size, p=share / share.sum())
    if cfg.community_sd > 0:
        m.community_effect = rng.normal(0, cfg.community_sd, len(m.community_names))
        lift = np.exp(m.community_effect[m.community])
        m.p_active = np.clip(m.p_active * lift, 0.02, 0.95)
        m.contribution_rate = m.contribution_rate * lift
    if cfg.design == "community":
        k = len(m.community_names)
        w = np.array(list(ARM_WEIGHTS.values()))
        per_arm = np.maximum(np.floor(k * w).astype(int), 1)
        while per_arm.sum() < k:  # largest remainders
            per_arm[np.argmax(k * w - per_arm)] += 1
        if per_arm.sum() > k:
            raise ValueError(f"a community design needs at least {len(ARMS)} communities")
        m.community_arm = rng.permutation(np.repeat(np.arange(len(ARMS)), per_arm))
    if cfg.design == "saturation":
        k, levels = len(m.community_names), np.asarray(cfg.saturations, float)
        m.community_saturation = rng.permutation(np.resize(levels, k))


def _calendar(cfg: SynthConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per simulated day: activity multiplier, contribution multiplier, UTC offset seconds."""
    days = [cfg.start + timedelta(days=int(d)) for d in range(cfg.n_days)]
    act = np.array([WEEKDAY_ACTIVITY[d.weekday()] for d in days])
    contrib = np.ones(cfg.n_days)
    fest = np.array([cfg.festival[0] <= d <= cfg.festival[1] for d in days])
    act[fest] *= cfg.festival_activity
    contrib[fest] *= cfg.festival_contribution
    offsets = np.array([_utc_offset_seconds(cfg.tz, d) for d in days])
    return act, contrib, offsets


def _effect_table(key: str) -> np.ndarray:
    """Multiplier array [arm, segment] for one effect key."""
    return np.array([[ARM_EFFECTS[a][s].get(key, 1.0) for s in SEGMENTS] for a in ARMS])


EFFECT_KEYS = ("p_active", "post", "comment", "share", "like", "checkin", "hazard")
_EFFECTS = {k: _effect_table(k) for k in EFFECT_KEYS}
_DECAY = np.array([ARM_NOVELTY_DECAY[a] for a in ARMS])
_MIX = np.array([SEGMENT_PARAMS[s].mix for s in SEGMENTS])  # [segment, type]


# --------------------------------------------------------------------------------------------------
# pass 1: presence, activity, assignment


def _presence(
    start: np.ndarray, hazard: np.ndarray, budget: np.ndarray, n_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Present mask [n, n_days] for one spell starting at ``start``; also the departure day."""
    depart = start + np.ceil(budget / hazard).astype(np.int64)
    t = np.arange(n_days)
    mask = (t[None, :] >= start[:, None]) & (t[None, :] < depart[:, None])
    return mask, depart


def _pass1_chunk(
    cfg: SynthConfig,
    m: _Members,
    sl: slice,
    act_mult: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n_days = cfg.n_days
    join_day = m.join_day[sl]
    h1 = m.hazard[sl]
    h2 = h1 * COMEBACK_HAZARD_MULTIPLIER
    b1, b2 = m.budget1[sl], m.budget2[sl]
    present1, depart1 = _presence(join_day, h1, b1, n_days)
    ret = np.where(m.comeback[sl], depart1 + m.comeback_gap[sl].astype(np.int64), 10**9)
    present2, _ = _presence(ret, h2, b2, n_days)
    present = present1 | present2

    seg = m.segment[sl]
    k = len(join_day)
    u = rng.random((k, n_days), dtype=np.float32)
    p = np.minimum(m.p_active[sl][:, None] * act_mult[None, :], MAX_ACTIVE_PROBABILITY)
    t = np.arange(n_days)
    on_join = t[None, :] == join_day[:, None]
    p = np.where(on_join, JOIN_DAY_ACTIVE_PROBABILITY, p)
    active = present & (u < p)

    # enrolment: first active day in the window
    e0 = cfg.days - cfg.experiment_start_offset
    window = active[:, e0 : e0 + cfg.enrollment_days]
    enrolled = window.any(axis=1)
    d0 = np.where(enrolled, e0 + window.argmax(axis=1), -1)
    if m.community_arm is not None:  # whole communities were randomised
        drawn = m.community_arm[m.community[sl]]
    elif m.community_saturation is not None:  # members treated at their community's share
        treat = rng.random(k) < m.community_saturation[m.community[sl]]
        drawn = np.where(treat, ARMS.index(cfg.saturation_arm), 0)
    else:
        drawn = rng.choice(len(ARMS), k, p=list(ARM_WEIGHTS.values()))
    arm = np.where(enrolled, drawn, -1)

    # which spell is the member in at d0, and its hazard
    in_spell2 = enrolled & (ret <= d0)
    spell_h = np.where(in_spell2, h2, h1)

    # treated members: departure after d0 under the arm's hazard multiplier
    rows = np.flatnonzero(enrolled & (arm > 0))
    if rows.size:
        spells = _Spells(join_day, ret, b1, b2, h2, spell_h, in_spell2, m.comeback[sl], m.comeback_gap[sl])
        active[rows] = _treated_activity(rows, spells, d0, arm, seg, present, p, u, active, n_days)
    return active, d0, arm, spell_h


@dataclass(frozen=True)
class _Spells:
    """Presence spells of a chunk's members: spell 1 from the join day, spell 2 from a comeback."""

    join_day: np.ndarray
    ret: np.ndarray  # first day of spell 2 (10**9: none)
    budget1: np.ndarray
    budget2: np.ndarray
    hazard2: np.ndarray
    hazard_at_d0: np.ndarray  # the hazard of the spell a member is in at assignment
    in_spell2: np.ndarray  # in spell 2 at assignment
    comeback: np.ndarray
    comeback_gap: np.ndarray


def _treated_activity(
    rows: np.ndarray,
    sp: _Spells,
    d0: np.ndarray,
    arm: np.ndarray,
    seg: np.ndarray,
    present: np.ndarray,
    p: np.ndarray,
    u: np.ndarray,
    active: np.ndarray,
    n_days: int,
) -> np.ndarray:
    """Activity of treated ``rows`` after their assignment day: the spell's remaining hazard budget
    is spent at the arm's hazard multiplier (a member in spell 1 comes back, if at all, after the new
    departure), and activity after d0 has the arm's activity multiplier on the same uniforms (common
    random numbers)."""
    t = np.arange(n_days)
    s2 = sp.in_spell2[rows]
    s_start = np.where(s2, sp.ret[rows], sp.join_day[rows])
    s_budget = np.where(s2, sp.budget2[rows], sp.budget1[rows])
    hs = sp.hazard_at_d0[rows]
    r = _EFFECTS["hazard"][arm[rows], seg[rows]]
    residual = s_budget - hs * (d0[rows] - s_start)
    new_depart = d0[rows] + np.ceil(residual / (hs * r)).astype(np.int64)
    after = t[None, :] > d0[rows][:, None]
    in_spell = (t[None, :] >= s_start[:, None]) & (t[None, :] < new_depart[:, None])
    gap = sp.comeback_gap[rows].astype(np.int64)
    sp2_start = np.where(~s2 & sp.comeback[rows], new_depart + gap, 10**9)
    sp2_depart = sp2_start + np.ceil(sp.budget2[rows] / sp.hazard2[rows]).astype(np.int64)
    spell2 = (t[None, :] >= sp2_start[:, None]) & (t[None, :] < sp2_depart[:, None])
    pres = np.where(after, in_spell | spell2, present[rows])
    week = np.maximum((t[None, :] - d0[rows][:, None] - 1) // 7, 0)
    mp = _week_multiplier(
        _EFFECTS["p_active"][arm[rows], seg[rows]][:, None], _DECAY[arm[rows]][:, None], week
    )
    p_arm = np.minimum(p[rows] * mp, MAX_ACTIVE_PROBABILITY)
    act_rows = pres & (u[rows] < np.where(after, p_arm, p[rows]))
    return np.where(after, act_rows, active[rows])


def _choose_inviters(
    cfg: SynthConfig, m: _Members, active: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Invitees name an earlier member who was active on their join day (engaged members invite more:
    ``INVITE_INTENSITY`` by segment). Inside the log the inviter's invite window (``INVITE_WINDOW_DAYS``
    from their join day) must still be open. Returns every member's expected number of invitees
    inside the log (the planted K of each member: Σ over the days they could be picked of the day's
    invitees x their share of the candidates' intensity)."""
    w = np.array([INVITE_INTENSITY[s] for s in SEGMENTS])[m.segment]
    expected = np.zeros(m.segment.size)
    invitees = np.flatnonzero(m.channel == CHANNELS.index("invite"))
    jd = m.join_day
    cumw = np.cumsum(w)
    pre = invitees[jd[invitees] < 0]
    pre = pre[pre > 0]
    if pre.size:  # joined before the log: any earlier member, by engagement
        m.inviter[pre] = np.minimum(
            np.searchsorted(cumw, rng.random(pre.size) * cumw[pre - 1], side="right"), pre - 1
        )
    for day in np.unique(jd[invitees[jd[invitees] >= 0]]):
        who = invitees[jd[invitees] == day]
        # earlier members active that day whose invite window is open
        cand = np.flatnonzero(active[:, day] & (jd < day) & (jd > day - INVITE_WINDOW_DAYS))
        if cand.size == 0:
            continue
        cw = np.cumsum(w[cand])
        pick = np.searchsorted(cw, rng.random(who.size) * cw[-1], side="right").clip(0, cand.size - 1)
        m.inviter[who] = cand[pick]
        expected[cand] += who.size * w[cand] / cw[-1]
    m.channel[(m.channel == CHANNELS.index("invite")) & (m.inviter < 0)] = CHANNELS.index("organic")
    return expected


# --------------------------------------------------------------------------------------------------
# pass 2: counts, events, rewards and truth


def _multipliers_after(
    key: str, arm: np.ndarray, seg: np.ndarray, d0: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """Multiplier [rows, days] of one effect key; 1 up to and including d0."""
    after = t[None, :] > d0[:, None]
    week = np.maximum((t[None, :] - d0[:, None] - 1) // 7, 0)
    mk = _week_multiplier(_EFFECTS[key][arm, seg][:, None], _DECAY[arm][:, None], week)
    return np.where(after, mk, 1.0)


def _counts(
    rng: np.random.Generator,
    active: np.ndarray,
    m: _Members,
    sl: slice,
    contrib_mult: np.ndarray,
    d0: np.ndarray,
    arm: np.ndarray,
    spill: np.ndarray | None = None,
) -> np.ndarray:
    """Event counts [n, n_days, 6] (visit, post, comment, share, like, checkin) on active cells.
    ``spill``: each member's contribution-rate multiplier after its assignment day (saturation design)."""
    k, n_days = active.shape
    seg = m.segment[sl]
    t = np.arange(n_days)
    out = np.zeros((k, n_days, 6), dtype=np.int32)
    treated = np.flatnonzero(arm > 0)
    rate = m.contribution_rate[sl][:, None] * contrib_mult[None, :]
    if spill is not None:
        after = (d0[:, None] >= 0) & (t[None, :] > d0[:, None])
        rate = rate * np.where(after, spill[:, None], 1.0)
    for j, typ in enumerate(CONTRIBUTION_TYPES, start=1):
        lam = rate * _MIX[seg, j - 1][:, None]
        if treated.size:
            lam[treated] *= _multipliers_after(typ, arm[treated], seg[treated], d0[treated], t)
        out[:, :, j] = np.where(active, rng.poisson(np.where(active, lam, 0.0)), 0)
    pc = np.repeat(m.checkin_p[sl][:, None], n_days, axis=1)
    if treated.size:
        pc[treated] = pc[treated] * _multipliers_after("checkin", arm[treated], seg[treated], d0[treated], t)
    out[:, :, 5] = active & (
        rng.random((k, n_days), dtype=np.float32) < np.minimum(pc, MAX_CHECKIN_PROBABILITY)
    )
    visits = rng.poisson(np.where(active, m.visits_mean[sl][:, None], 0.0))
    empty = active & (visits == 0) & (out[:, :, 1:].sum(axis=2) == 0)
    out[:, :, 0] = visits + empty
    return out


def _spill(cfg: SynthConfig, m: _Members, sl: slice) -> np.ndarray | None:
    """Saturation design: ``spillover`` for members of communities with a share treated, else 1."""
    if m.community_saturation is None or cfg.spillover == 1.0:
        return None
    return np.where(m.community_saturation[m.community[sl]] > 0, cfg.spillover, 1.0)


def _window_truth(
    cfg: SynthConfig,
    m: _Members,
    rows: np.ndarray,
    d0: np.ndarray,
    tod: np.ndarray,
    day0_counts: np.ndarray,
    spell_h: np.ndarray,
    act_mult: np.ndarray,
    contrib_mult: np.ndarray,
    reps: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Expected metric values [arm, member, metric] for assigned members, common random numbers."""
    horizon = 30
    n = rows.size
    k_days = np.arange(1, horizon + 1)
    days = d0[:, None] + k_days[None, :]  # absolute days
    seg = m.segment[rows]
    week = (k_days - 1) // 7
    frac28 = time_of_day_cdf(tod)  # share of day-28 events before the assignment time of day
    out = np.zeros((len(ARMS), n, len(METRICS)))
    base_p = np.minimum(m.p_active[rows][:, None] * act_mult[days], MAX_ACTIVE_PROBABILITY)
    lam_c = m.contribution_rate[rows][:, None] * contrib_mult[days]
    for _ in range(reps):
        u = rng.random((n, horizon))
        residual = rng.exponential(1.0, n)
        u_chk = rng.random((n, horizon))
        base_counts = [rng.poisson(lam_c * _MIX[seg, j][:, None]) for j in range(4)]
        base_visits = rng.poisson(m.visits_mean[rows][:, None] * np.ones((1, horizon)))
        for a in range(len(ARMS)):
            a_idx = np.full(n, a)
            r = _EFFECTS["hazard"][a_idx, seg]
            present = spell_h[:, None] * r[:, None] * k_days[None, :] < residual[:, None]
            mp = _week_multiplier(_EFFECTS["p_active"][a_idx, seg][:, None], _DECAY[a], week[None, :])
            active = present & (u < np.minimum(base_p * mp, MAX_ACTIVE_PROBABILITY))
            counts = np.zeros((n, horizon, 6))
            for j, typ in enumerate(CONTRIBUTION_TYPES):
                mk = _week_multiplier(_EFFECTS[typ][a_idx, seg][:, None], _DECAY[a], week[None, :])
                base = base_counts[j]
                extra_lam = lam_c * _MIX[seg, j][:, None] * np.maximum(mk - 1, 0)
                more = rng.poisson(extra_lam)
                thin = rng.binomial(base, np.minimum(mk, 1.0))
                counts[:, :, j + 1] = np.where(mk >= 1, base + more, thin) * active
            mc = _week_multiplier(_EFFECTS["checkin"][a_idx, seg][:, None], _DECAY[a], week[None, :])
            pc = np.minimum(m.checkin_p[rows][:, None] * mc, MAX_CHECKIN_PROBABILITY)
            counts[:, :, 5] = active & (u_chk < pc)
            empty = active & (base_visits == 0) & (counts[:, :, 1:].sum(axis=2) == 0)
            counts[:, :, 0] = (base_visits + empty) * active
            out[a] += _metric_values(cfg, counts, active, day0_counts, frac28, rng)
    return out / reps


def _metric_values(
    cfg: SynthConfig,
    counts: np.ndarray,
    active: np.ndarray,
    day0_counts: np.ndarray,
    frac28: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """The experiment metrics [member, metric] from daily counts [member, day 1..30, type] and activity
    after assignment: the window is days 1..metric_days-1 plus the part of the last day before the time
    of assignment (binomial thinning), and day 0 after the assignment."""
    k_days = np.arange(1, counts.shape[1] + 1)
    in_window = k_days <= cfg.metric_days  # whole days 1..27 plus partial day 28
    c28 = counts[:, cfg.metric_days - 1, :]
    kept28 = rng.binomial(c28.astype(np.int64), frac28[:, None])
    win = counts[:, in_window, :].copy()
    win[:, -1, :] = kept28
    totals = win.sum(axis=1) + day0_counts
    contributions = totals[:, 1:5].sum(axis=1)
    score = totals[:, 1:5] @ np.array([DEFAULT_WEIGHTS[t] for t in CONTRIBUTION_TYPES], dtype=float)
    active_days = 1 + active[:, : cfg.metric_days - 1].sum(axis=1) + (kept28.sum(axis=1) > 0)
    retained14 = active[:, 7:14].any(axis=1)
    retained30 = active[:, 23:30].any(axis=1)
    return np.column_stack(
        [
            contributions,
            score,
            contributions > 0,
            active_days,
            totals[:, 0],
            totals[:, 5],
            retained14,
            retained30,
        ]
    )


def _tiers_from_window(
    score: np.ndarray,
    contributions: np.ndarray,
    active_days: np.ndarray,
    joined_in_window: np.ndarray,
    joined: np.ndarray,
    core_share: float = 0.05,
) -> np.ndarray:
    """Tier labels per the design definition (independent numpy implementation for the ground truth)."""
    tiers = np.full(score.size, "", dtype=object)
    eligible = joined & (contributions >= 1) & (active_days >= 4)
    n_elig = int(eligible.sum())
    core = np.zeros(score.size, bool)
    if n_elig:
        rank = math.ceil(core_share * n_elig)
        cut = np.sort(score[eligible])[::-1][rank - 1]
        core = eligible & (score >= cut)
    activ = joined & ~core & ((contributions >= 1) | (active_days >= 8))
    novice = joined & ~core & ~activ & joined_in_window
    lurker = joined & ~core & ~activ & ~novice & (active_days >= 1)
    dormant = joined & ~core & ~activ & ~novice & (active_days == 0)
    for name, mask in [
        ("core", core),
        ("active", activ),
        ("novice", novice),
        ("lurker", lurker),
        ("dormant", dormant),
    ]:
        tiers[mask] = name
    return tiers


@dataclass
class _Sim:
    """State shared by the generator's passes: the calendar, the members' latent state, pass-1 activity
    and assignment, and what pass 2 accumulates for the ground truth."""

    cfg: SynthConfig
    m: _Members
    act_mult: np.ndarray  # activity multiplier per local day
    contrib_mult: np.ndarray
    offsets: np.ndarray  # UTC offset (s) of each local day
    day_utc0: np.ndarray  # UTC seconds of local midnight of each day
    start_epoch: int  # UTC seconds of the log's first local midnight, without its offset
    chunks: list[slice]
    active: np.ndarray = None  # type: ignore[assignment]  (member x day presence, pass 1)
    d0: np.ndarray = None  # type: ignore[assignment]  (assignment day or -1)
    arm: np.ndarray = None  # type: ignore[assignment]  (arm index or -1)
    spell_h: np.ndarray = None  # type: ignore[assignment]
    join_sec: np.ndarray = None  # type: ignore[assignment]  (second of the join day)
    join_off: np.ndarray = None  # type: ignore[assignment]  (UTC offset of the join day)
    ids: np.ndarray = None  # type: ignore[assignment]
    pre_score: np.ndarray = None  # type: ignore[assignment]  (score in the window before the experiment)
    pre_contrib: np.ndarray = None  # type: ignore[assignment]
    pre_active: np.ndarray = None  # type: ignore[assignment]
    assigned_tod: np.ndarray = None  # type: ignore[assignment]
    expected_invitees: np.ndarray = None  # type: ignore[assignment]  (planted K of each member)
    reps: int = 1
    truth_rows: list = field(default_factory=list)
    truth_vals: list = field(default_factory=list)
    reward_frames: list = field(default_factory=list)
    assignment_frames: list = field(default_factory=list)

    @property
    def e0(self) -> int:
        """Day of the experiment's start."""
        return self.cfg.days - self.cfg.experiment_start_offset

    @property
    def ref_window(self) -> tuple[int, int]:
        """The 30-day window ending the day before the experiment starts (pre-assignment tiers)."""
        return self.e0 - 30, self.e0 - 1


def generate(cfg: SynthConfig, out: str | Path) -> dict:
    """Simulate a community and write members, events, assignments, arms, rewards and
    ``ground_truth.json`` (the planted effects and hazards) into ``out``.

    Parameters
    ----------
    cfg : SynthConfig
        Size, calendar and seed.
    out : str or pathlib.Path
        The folder to write.

    Returns
    -------
    dict
        The ground truth, as written to ``ground_truth.json``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sim = _start(cfg)
    _pass1(sim)
    _write(_members_table(sim), out / "members", cfg.file_format)
    _pass2(sim, out)
    assignments, multi_ids = _assignments_table(sim)
    _write(assignments, out / "assignments", cfg.file_format)
    _write(_arms_table(cfg), out / "arms", cfg.file_format)
    rewards = _rewards_table(sim)
    _write(rewards, out / "rewards", cfg.file_format)
    truth = _ground_truth(sim, multi_ids, rewards)
    (out / "ground_truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False), encoding="utf-8")
    return truth


def _start(cfg: SynthConfig) -> _Sim:
    """The members' latent state and the calendar."""
    m = _draw_members(cfg, np.random.default_rng([cfg.seed, 0]))
    _communities(cfg, m, np.random.default_rng([cfg.seed, 6]))
    act_mult, contrib_mult, offsets = _calendar(cfg)
    start_utc = datetime(cfg.start.year, cfg.start.month, cfg.start.day)  # naive local midnight
    day_utc0 = np.array(
        [
            np.datetime64(start_utc + timedelta(days=d) - timedelta(seconds=int(offsets[d])), "s")
            for d in range(cfg.n_days)
        ]
    ).astype("int64")
    n = cfg.members
    chunks = [slice(a, min(a + cfg.chunk_members, n)) for a in range(0, n, cfg.chunk_members)]
    start_epoch = int(np.datetime64(start_utc, "s").astype("int64"))
    return _Sim(cfg, m, act_mult, contrib_mult, offsets, day_utc0, start_epoch, chunks)


def _pass1(sim: _Sim) -> None:
    """Presence, assignment day and arm of every member, then who invited whom."""
    cfg, n = sim.cfg, sim.cfg.members
    sim.active = np.zeros((n, cfg.n_days), dtype=bool)
    sim.d0 = np.full(n, -1, dtype=np.int64)
    sim.arm = np.full(n, -1, dtype=np.int64)
    sim.spell_h = np.zeros(n)
    for c, sl in enumerate(sim.chunks):
        a, d, r, h = _pass1_chunk(cfg, sim.m, sl, sim.act_mult, np.random.default_rng([cfg.seed, 1, c]))
        sim.active[sl], sim.d0[sl], sim.arm[sl], sim.spell_h[sl] = a, d, r, h
    sim.expected_invitees = _choose_inviters(cfg, sim.m, sim.active, np.random.default_rng([cfg.seed, 2]))


def _members_table(sim: _Sim) -> pd.DataFrame:
    """The members table; sets each member's join second, join-day UTC offset and id."""
    cfg, m = sim.cfg, sim.m
    join_day = m.join_day
    sim.join_sec = np.round((m.join_t - join_day) * 86400).astype(np.int64).clip(0, 86399)
    days = np.unique(join_day)
    off_map = {int(d): _utc_offset_seconds(cfg.tz, cfg.start + timedelta(days=int(d))) for d in days}
    sim.join_off = np.array([off_map[d] for d in join_day.tolist()])
    joined_at = sim.start_epoch + join_day * 86400 + sim.join_sec - sim.join_off
    sim.ids = _member_ids(np.arange(cfg.members))
    return pd.DataFrame(
        {
            "member_id": sim.ids,
            "joined_at": pd.to_datetime(joined_at, unit="s", utc=True),
            "community": m.community_names[m.community],
            "channel": np.array(CHANNELS, dtype=object)[m.channel],
            "invited_by": np.where(m.inviter >= 0, sim.ids[np.maximum(m.inviter, 0)], None),
        }
    )


def _pass2(sim: _Sim, out: Path) -> None:
    """Events chunk by chunk (written as they are made), assignments, rewards and the truth of each
    assigned member's metrics under every arm."""
    cfg, n = sim.cfg, sim.cfg.members
    ref_lo, ref_hi = sim.ref_window
    w_types = np.array([DEFAULT_WEIGHTS[t] for t in CONTRIBUTION_TYPES], dtype=float)
    sim.pre_score, sim.pre_contrib = np.zeros(n), np.zeros(n, dtype=np.int64)
    sim.pre_active, sim.assigned_tod = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    sim.reps = cfg.truth_reps or int(np.clip(400_000 // max(n, 1), 1, 8))
    writer = _Writer(out / "events", cfg.file_format)
    for c, sl in enumerate(sim.chunks):
        crng = np.random.default_rng([cfg.seed, 3, c])
        counts = _counts(
            crng, sim.active[sl], sim.m, sl, sim.contrib_mult, sim.d0[sl], sim.arm[sl], _spill(cfg, sim.m, sl)
        )
        sim.pre_score[sl] = counts[:, ref_lo : ref_hi + 1, 1:5].sum(axis=1) @ w_types
        sim.pre_contrib[sl] = counts[:, ref_lo : ref_hi + 1, 1:5].sum(axis=(1, 2))
        sim.pre_active[sl] = sim.active[sl, ref_lo : ref_hi + 1].sum(axis=1)
        ev = _chunk_events(sim, sl, counts, crng)
        _assign_chunk(sim, c, sl, counts, ev)
        writer.write(_events_table(sim, sl, ev, crng))
    writer.close()


def _chunk_events(sim: _Sim, sl: slice, counts: np.ndarray, crng: np.random.Generator) -> dict:
    """One event per count, its second of the day from the hourly profile (after the join on the join
    day); events after the export cutoff on the last day are dropped. Returns member (row in the chunk),
    day, type, second and UTC timestamp arrays."""
    cfg = sim.cfg
    idx = np.arange(sl.start, sl.stop)
    cell_member, cell_day, cell_type = np.nonzero(counts)
    reps_per = counts[cell_member, cell_day, cell_type]
    member = np.repeat(cell_member, reps_per)
    day = np.repeat(cell_day, reps_per)
    kind = np.repeat(cell_type, reps_per)
    sec = _sample_seconds(crng, member.size)
    jd = sim.m.join_day[idx][member]
    js = sim.join_sec[idx][member]
    sec = np.where(day == jd, js + (sec * (86400 - js) // 86400), sec)
    keep = (day < cfg.days) | (sec < cfg.export_hour * 3600)
    member, day, kind, sec = member[keep], day[keep], kind[keep], sec[keep]
    return {"member": member, "day": day, "type": kind, "sec": sec, "ts": sim.day_utc0[day] + sec}


def _assign_chunk(sim: _Sim, c: int, sl: slice, counts: np.ndarray, ev: dict) -> None:
    """Assignment at the first event of the enrolment day, the metric truth of the chunk's assigned
    members, and their rewards."""
    cfg, idx = sim.cfg, np.arange(sl.start, sl.stop)
    rows = np.flatnonzero(sim.d0[sl] >= 0)
    if not rows.size:
        return
    on_d0 = sim.d0[sl][ev["member"]] == ev["day"]
    first = pd.Series(ev["sec"][on_d0]).groupby(ev["member"][on_d0]).min()
    g_rows = idx[rows]
    sim.assigned_tod[g_rows] = first.reindex(rows).to_numpy()
    sim.assignment_frames.append(
        pd.DataFrame(
            {"row": g_rows, "arm": sim.arm[g_rows], "sec": sim.assigned_tod[g_rows], "day": sim.d0[g_rows]}
        )
    )
    # day-0 counts after the assignment (everything on d0 is at or after the first event)
    day0 = counts[rows, sim.d0[sl][rows], :].astype(float)
    tv = _window_truth(
        cfg,
        sim.m,
        g_rows,
        sim.d0[g_rows],
        sim.assigned_tod[g_rows],
        day0,
        sim.spell_h[g_rows],
        sim.act_mult,
        sim.contrib_mult,
        sim.reps,
        np.random.default_rng([cfg.seed, 4, c]),
    )
    sim.truth_rows.append(g_rows)
    sim.truth_vals.append(tv)
    sim.reward_frames.extend(_chunk_rewards(sim, sl, rows, counts))


def _chunk_rewards(sim: _Sim, sl: slice, rows: np.ndarray, counts: np.ndarray) -> list[pd.DataFrame]:
    """Rewards of treated arms on days d0+1 .. d0+metric_days, one row per rewarded member-day."""
    cfg, idx, frames = sim.cfg, np.arange(sl.start, sl.stop), []
    for a_i, a_name in enumerate(ARMS):
        costs = ARM_COSTS.get(a_name)
        r_rows = rows[sim.arm[sl][rows] == a_i]
        if not costs or r_rows.size == 0:
            continue
        cost_vec = np.array([0.0] + [costs.get(t, 0.0) for t in EVENT_TYPES_SIMULATED[1:]])
        dd = sim.d0[sl][r_rows][:, None] + np.arange(1, cfg.metric_days + 1)[None, :]
        dd = np.minimum(dd, cfg.n_days - 1)
        cst = counts[r_rows[:, None], dd, :] @ cost_vec
        rr, kk = np.nonzero(cst > 0)
        frames.append(
            pd.DataFrame(
                {
                    "member_id": sim.ids[idx[r_rows[rr]]],
                    "ts": pd.to_datetime(sim.day_utc0[dd[rr, kk]] + 86399, unit="s", utc=True),
                    "experiment": cfg.experiment,
                    "arm": a_name,
                    "cost": np.round(cst[rr, kk], 2),
                }
            )
        )
    return frames


def _events_table(sim: _Sim, sl: slice, ev: dict, crng: np.random.Generator) -> pa.Table:
    """The chunk's events plus the invites its members received (sent by earlier members on their join
    day); one in ten events is in another community than the member's."""
    cfg, m, idx = sim.cfg, sim.m, np.arange(sl.start, sl.stop)
    join_day = m.join_day
    inv = idx[(m.inviter[idx] >= 0) & (join_day[idx] >= 0)]
    inv_ts = (
        sim.start_epoch
        + join_day[inv] * 86400
        - sim.join_off[inv]
        + np.maximum(sim.join_sec[inv] - crng.integers(60, 3600, inv.size), 0)
    )
    inv_keep = (join_day[inv] < cfg.days) | (sim.join_sec[inv] < cfg.export_hour * 3600)
    member = ev["member"]
    ev_ids = sim.ids[idx][member] if member.size else np.array([], dtype=object)
    comm = m.community[idx][member]
    other = crng.random(member.size) < 0.1
    comm = np.where(other, crng.integers(0, len(m.community_names), member.size), comm)
    inviters = m.inviter[inv[inv_keep]]
    names = m.community_names
    kinds = np.array(EVENT_TYPES_SIMULATED, dtype=object)[ev["type"]]
    return pa.table(
        {
            "member_id": pa.array(np.concatenate([ev_ids, sim.ids[inviters]]), pa.string()),
            "ts": pa.array(np.concatenate([ev["ts"], inv_ts[inv_keep]]) * 1_000_000, pa.int64()).cast(
                pa.timestamp("us", tz="UTC")
            ),
            "event_type": pa.array(
                np.concatenate([kinds, np.full(int(inv_keep.sum()), "invite", dtype=object)]), pa.string()
            ),
            "community": pa.array(np.concatenate([names[comm], names[m.community[inviters]]]), pa.string()),
        }
    )


def _assignments_table(sim: _Sim) -> tuple[pd.DataFrame, set[str]]:
    """Assignments at the first event of each member's enrolment day, plus a second arm for a few
    members (multiple exposure). Returns the table and the multiply exposed members."""
    frames = sim.assignment_frames or [pd.DataFrame(columns=["row", "arm", "sec", "day"])]
    asg = pd.concat(frames, ignore_index=True)
    day = asg["day"].to_numpy()
    asg_ts = sim.start_epoch + day * 86400 + asg["sec"].to_numpy() - sim.offsets[day]
    assignments = pd.DataFrame(
        {
            "experiment": sim.cfg.experiment,
            "member_id": sim.ids[asg["row"].to_numpy()],
            "arm": np.array(ARMS, dtype=object)[asg["arm"].to_numpy()],
            "assigned_at": pd.to_datetime(asg_ts, unit="s", utc=True),
        }
    )
    rng_x = np.random.default_rng([sim.cfg.seed, 5])
    n_multi = int(round(len(assignments) * MULTIPLE_EXPOSURE_SHARE))
    multi_rows = (
        rng_x.choice(len(assignments), n_multi, replace=False) if n_multi else np.array([], dtype=int)
    )
    extra = assignments.iloc[multi_rows].copy()
    shift = rng_x.integers(1, len(ARMS), n_multi)
    extra["arm"] = [ARMS[(ARMS.index(a) + s) % len(ARMS)] for a, s in zip(extra["arm"], shift, strict=True)]
    extra["assigned_at"] = extra["assigned_at"] + pd.to_timedelta(
        rng_x.integers(3600, 5 * 86400, n_multi), unit="s"
    )
    assignments = pd.concat([assignments, extra], ignore_index=True).sort_values("assigned_at", kind="stable")
    return assignments, set(extra["member_id"])


def _arms_table(cfg: SynthConfig) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "experiment": cfg.experiment,
            "arm": list(ARMS),
            "weight": [ARM_WEIGHTS[a] for a in ARMS],
            "is_control": [a == "control" for a in ARMS],
        }
    )


def _rewards_table(sim: _Sim) -> pd.DataFrame:
    if sim.reward_frames:
        return pd.concat(sim.reward_frames, ignore_index=True)
    return pd.DataFrame(
        {"member_id": [], "ts": pd.to_datetime([], utc=True), "experiment": [], "arm": [], "cost": []}
    )


def _ground_truth(sim: _Sim, multi_ids: set[str], rewards: pd.DataFrame) -> dict:
    """What was planted: the configuration, the population, the survival process and the experiment's
    effects on every metric overall, by latent segment and by pre-assignment tier."""
    cfg = sim.cfg
    return {
        "generator": "analysis.synth",
        "config": {k: (str(v) if isinstance(v, date) else v) for k, v in asdict(cfg).items()}
        | {"festival": [str(cfg.festival[0]), str(cfg.festival[1])]},
        "tz": cfg.tz,
        "log_start": str(cfg.start),
        "as_of": str(cfg.as_of),
        "export_cutoff_local": f"{cfg.start + timedelta(days=cfg.days)} {cfg.export_hour:02d}:00",
        "members": cfg.members,
        "members_joined_before_log": int((sim.m.join_day < 0).sum()),
        **_population_truth(sim.m),
        "invitations": _invitation_truth(sim),
        "experiments": [_experiment_truth(sim, multi_ids, rewards)],
    }


def _population_truth(m: _Members) -> dict:
    return {
        "segments": {
            s: asdict(SEGMENT_PARAMS[s]) | {"members": int((m.segment == i).sum())}
            for i, s in enumerate(SEGMENTS)
        },
        "channels": {
            c: {
                "share_planned": CHANNEL_SHARE[c],
                "hazard_multiplier": CHANNEL_HAZARD[c],
                "members": int((m.channel == i).sum()),
            }
            for i, c in enumerate(CHANNELS)
        },
        "survival": {
            "description": (
                "Departure hazards are planted on the latent presence process: daily hazard = segment base "
                "x channel multiplier (x 1.3 in a comeback spell; x the arm's hazard multiplier by segment "
                "after "
                "assignment). Observed churn (30 inactive days) follows departure by the gap since the last "
                "active day."
            ),
            "channel_hazard_ratio_vs_organic": {
                c: CHANNEL_HAZARD[c] / CHANNEL_HAZARD["organic"] for c in CHANNELS
            },
            "segment_hazard_per_day": {s: SEGMENT_PARAMS[s].hazard_per_day for s in SEGMENTS},
            "comeback": {
                "min_gap_days": COMEBACK_MIN_GAP_DAYS,
                "mean_extra_days": COMEBACK_MEAN_EXTRA_DAYS,
                "hazard_multiplier": COMEBACK_HAZARD_MULTIPLIER,
                "probability_by_segment": {s: SEGMENT_PARAMS[s].comeback_probability for s in SEGMENTS},
            },
        },
    }


def _invitation_truth(sim: _Sim) -> dict:
    """The planted K-factor: mean expected invitees per eligible member (joined inside the log, invite
    window ended by as_of), overall and by latent segment."""
    jd = sim.m.join_day
    as_of_day = (sim.cfg.as_of - sim.cfg.start).days
    eligible = (jd >= 0) & (jd + INVITE_WINDOW_DAYS - 1 <= as_of_day)
    k = sim.expected_invitees
    by_segment = {
        s: {
            "eligible": int((eligible & (sim.m.segment == i)).sum()),
            "k_factor": float(k[eligible & (sim.m.segment == i)].mean()),
        }
        for i, s in enumerate(SEGMENTS)
        if (eligible & (sim.m.segment == i)).any()
    }
    return {
        "description": (
            "An invitee names a member active on the invitee's join day whose invite window (join day and "
            f"the {INVITE_WINDOW_DAYS - 1} days after it) is open, picked in proportion to the segment's "
            "intensity; k_factor = mean over eligible members of the expected invitees inside the window."
        ),
        "window_days": INVITE_WINDOW_DAYS,
        "intensity_by_segment": dict(INVITE_INTENSITY),
        "eligible": int(eligible.sum()),
        "k_factor": float(k[eligible].mean()) if eligible.any() else None,
        "k_factor_by_segment": by_segment,
    }


def _experiment_truth(sim: _Sim, multi_ids: set[str], rewards: pd.DataFrame) -> dict:
    cfg = sim.cfg
    rows = np.concatenate(sim.truth_rows) if sim.truth_rows else np.array([], dtype=np.int64)
    vals = (
        np.concatenate(sim.truth_vals, axis=1) if sim.truth_vals else np.zeros((len(ARMS), 0, len(METRICS)))
    )
    single = ~np.isin(sim.ids[rows], list(multi_ids))
    rows, vals = rows[single], vals[:, single, :]
    ref_lo, ref_hi = sim.ref_window
    join_day = sim.m.join_day
    joined = join_day <= ref_hi
    tiers = _tiers_from_window(
        sim.pre_score, sim.pre_contrib, sim.pre_active, (join_day >= ref_lo) & joined, joined
    )
    return {
        "name": cfg.experiment,
        "start": str(cfg.experiment_start),
        "enrollment_end": str(cfg.start + timedelta(days=sim.e0 + cfg.enrollment_days - 1)),
        "metric_days": cfg.metric_days,
        "arms": {a: {"weight": ARM_WEIGHTS[a], "is_control": a == "control"} for a in ARMS},
        "design": cfg.design,
        "community_arms": (
            dict(zip(sim.m.community_names, np.array(ARMS)[sim.m.community_arm].tolist(), strict=True))
            if sim.m.community_arm is not None
            else None
        ),
        "community_sd": cfg.community_sd,
        "saturation": _saturation_truth(sim, rows, vals),
        "assigned_members": int((sim.d0 >= 0).sum()),
        "members_with_multiple_arms": len(multi_ids),
        "effects_description": (
            "effect = mean over singly-assigned members of E[metric | arm] - E[metric | control], "
            "given each member's state at assignment; metrics per docs/definitions.md (window "
            "[assigned_at, assigned_at + metric_days), retention on local days 8..14 / 24..30). "
            "Groups: all, latent segment, tier at the day before the experiment starts."
        ),
        "truth_reps": sim.reps,
        "effects": _effects_truth(sim.m, rows, vals, tiers),
        "planted_multipliers": ARM_EFFECTS,
        "novelty_decay_per_week": ARM_NOVELTY_DECAY,
        "reward_cost_per_event": ARM_COSTS,
        "cost_effectiveness": _cost_truth(sim, rows, vals, rewards),
        "tier_reference_date": str(cfg.start + timedelta(days=ref_hi)),
        "tiers_at_reference": {
            t: int((tiers == t).sum()) for t in ("core", "active", "novice", "lurker", "dormant")
        },
    }


def _saturation_truth(sim: _Sim, rows: np.ndarray, vals: np.ndarray) -> dict | None:
    """Saturation design: the planted direct, spillover and total effects on contributions (per member,
    over the singly-assigned members): with s the spillover multiplier on every assigned member of a
    community with treated members, direct = s (E[Y | arm] - E[Y | control]), spillover =
    (s - 1) E[Y | control], total = s E[Y | arm] - E[Y | control]."""
    cfg, m = sim.cfg, sim.m
    if m.community_saturation is None:
        return None
    k, arm = METRICS.index("contributions"), ARMS.index(cfg.saturation_arm)
    treated, control = vals[arm, :, k].mean(), vals[0, :, k].mean()
    sp = cfg.spillover
    return {
        "arm": cfg.saturation_arm,
        "levels": list(cfg.saturations),
        "spillover_multiplier": sp,
        "community_saturation": dict(zip(m.community_names, m.community_saturation.tolist(), strict=True)),
        "effects": {
            "contributions": {
                "direct": float(sp * (treated - control)),
                "spillover": float((sp - 1) * control),
                "total": float(sp * treated - control),
            }
        },
        "description": (
            "Per-member effects on contributions in the metric window, the same at every saturation above "
            "0: direct = treated minus untreated members of the same communities, spillover = untreated "
            "members of treated communities minus members of pure control communities, total = treated "
            "minus pure control."
        ),
    }


def _effects_truth(m: _Members, rows: np.ndarray, vals: np.ndarray, tiers: np.ndarray) -> list[dict]:
    """Expected effect of each treatment arm on each metric, overall, by segment and by tier."""
    groups = {
        "all": np.ones(rows.size, bool),
        **{f"segment:{s}": m.segment[rows] == i for i, s in enumerate(SEGMENTS)},
        **{f"tier:{t}": tiers[rows] == t for t in ("core", "active", "novice", "lurker", "dormant")},
    }
    effects = []
    for a_i, a_name in enumerate(ARMS):
        if a_name == "control":
            continue
        for j, metric in enumerate(METRICS):
            for g_name, mask in groups.items():
                if mask.sum() == 0:
                    continue
                ctrl, trt = float(vals[0, mask, j].mean()), float(vals[a_i, mask, j].mean())
                effects.append(
                    {
                        "arm": a_name,
                        "metric": metric,
                        "group": g_name,
                        "members": int(mask.sum()),
                        "control_mean": ctrl,
                        "treatment_mean": trt,
                        "effect": trt - ctrl,
                        "lift": (trt - ctrl) / abs(ctrl) if ctrl else None,
                    }
                )
    return effects


def _cost_truth(sim: _Sim, rows: np.ndarray, vals: np.ndarray, rewards: pd.DataFrame) -> dict:
    """Cost per member and per incremental contribution of each rewarded arm."""
    contrib_j = METRICS.index("contributions")
    out = {}
    for a_name, g in rewards.groupby("arm") if len(rewards) else []:
        a_i = ARMS.index(a_name)
        arm_ids = set(sim.ids[rows[sim.arm[rows] == a_i]])
        cost_pm = g[g["member_id"].isin(arm_ids)].groupby("member_id")["cost"].sum().sum() / max(
            len(arm_ids), 1
        )
        incr = float((vals[a_i, :, contrib_j] - vals[0, :, contrib_j]).mean())
        out[a_name] = {
            "cost_per_member": float(cost_pm),
            "incremental_contributions_per_member": incr,
            "cost_per_incremental_contribution": float(cost_pm / incr) if incr > 0 else None,
        }
    return out


class _Writer:
    """Chunked writer of one table as Parquet (row groups) or CSV."""

    def __init__(self, stem: Path, file_format: str):
        self.path = stem.with_suffix("." + ("parquet" if file_format == "parquet" else "csv"))
        self.format = file_format
        self._w = None

    def write(self, table: pa.Table) -> None:
        if self.format == "parquet":
            if self._w is None:
                self._w = pq.ParquetWriter(self.path, table.schema, compression="zstd")
            self._w.write_table(table)
        else:
            if self._w is None:
                self._w = pacsv.CSVWriter(self.path, table.schema)
            self._w.write_table(table)

    def close(self) -> None:
        if self._w is not None:
            self._w.close()


def _write(df: pd.DataFrame, stem: Path, file_format: str) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    for i, f in enumerate(table.schema):  # microsecond UTC timestamps read everywhere
        if pa.types.is_timestamp(f.type):
            table = table.set_column(i, f.name, table.column(i).cast(pa.timestamp("us", tz="UTC")))
    w = _Writer(stem, file_format)
    w.write(table)
    w.close()
