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
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from analysis.definitions import CONTRIBUTION_TYPES, DEFAULT_TZ, DEFAULT_WEIGHTS

SEGMENTS = ("core", "regular", "lurker")
CHANNELS = ("organic", "search", "social", "invite", "ads")
COMMUNITIES = ("Photography", "Travel", "Food & Cooking", "Gadgets", "Parenting")
EVENT_TYPES_SIMULATED = ("visit", "post", "comment", "share", "like", "checkin")
ARMS = ("control", "points", "badges", "cash")
METRICS = (
    "contributions",
    "contribution_score",
    "contributor",
    "active_days",
    "visits",
    "checkins",
    "retained_d14",
    "retained_d30",
)

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

    @property
    def as_of(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    @property
    def experiment_start(self) -> date:
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
    """Share of a day's events that fall before ``seconds`` after local midnight."""
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
    arm = np.where(enrolled, rng.choice(len(ARMS), k, p=list(ARM_WEIGHTS.values())), -1)

    # which spell is the member in at d0, and its hazard
    in_spell2 = enrolled & (ret <= d0)
    spell_h = np.where(in_spell2, h2, h1)

    # treated members: departure after d0 under the arm's hazard multiplier
    treated = enrolled & (arm > 0)
    if treated.any():
        rows = np.flatnonzero(treated)
        s_start = np.where(in_spell2[rows], ret[rows], join_day[rows])
        s_budget = np.where(in_spell2[rows], b2[rows], b1[rows])
        hs = spell_h[rows]
        r = _EFFECTS["hazard"][arm[rows], seg[rows]]
        residual = s_budget - hs * (d0[rows] - s_start)
        new_depart = d0[rows] + np.ceil(residual / (hs * r)).astype(np.int64)
        after = t[None, :] > d0[rows][:, None]
        in_spell = (t[None, :] >= s_start[:, None]) & (t[None, :] < new_depart[:, None])
        # a member still in spell 1 at d0 comes back (if at all) after the new departure
        s1 = ~in_spell2[rows]
        sp2_start = np.where(
            s1 & m.comeback[sl][rows], new_depart + m.comeback_gap[sl][rows].astype(np.int64), 10**9
        )
        sp2_depart = sp2_start + np.ceil(b2[rows] / h2[rows]).astype(np.int64)
        spell2 = (t[None, :] >= sp2_start[:, None]) & (t[None, :] < sp2_depart[:, None])
        pres = present[rows]
        pres = np.where(after, in_spell | spell2, pres)
        # activity after d0 with the arm's activity multiplier (same uniforms: common random numbers)
        week = np.maximum((t[None, :] - d0[rows][:, None] - 1) // 7, 0)
        mp = _week_multiplier(
            _EFFECTS["p_active"][arm[rows], seg[rows]][:, None], _DECAY[arm[rows]][:, None], week
        )
        p_arm = np.minimum(p[rows] * mp, MAX_ACTIVE_PROBABILITY)
        act_rows = pres & (u[rows] < np.where(after, p_arm, p[rows]))
        active[rows] = np.where(after, act_rows, active[rows])
    return active, d0, arm, spell_h


def _choose_inviters(cfg: SynthConfig, m: _Members, active: np.ndarray, rng: np.random.Generator) -> None:
    """Invitees name an earlier member who was active on their join day (engaged members invite more)."""
    weight_by_segment = np.array([10.0, 3.0, 0.3])
    w = weight_by_segment[m.segment]
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
        cand = np.flatnonzero(active[:, day] & (jd < day))  # earlier members active that day
        if cand.size == 0:
            continue
        cw = np.cumsum(w[cand])
        pick = np.searchsorted(cw, rng.random(who.size) * cw[-1], side="right").clip(0, cand.size - 1)
        m.inviter[who] = cand[pick]
    m.channel[(m.channel == CHANNELS.index("invite")) & (m.inviter < 0)] = CHANNELS.index("organic")


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
) -> np.ndarray:
    """Event counts [n, n_days, 6] (visit, post, comment, share, like, checkin) on active cells."""
    k, n_days = active.shape
    seg = m.segment[sl]
    t = np.arange(n_days)
    out = np.zeros((k, n_days, 6), dtype=np.int32)
    treated = np.flatnonzero(arm > 0)
    rate = m.contribution_rate[sl][:, None] * contrib_mult[None, :]
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
    w = np.array([DEFAULT_WEIGHTS[t] for t in CONTRIBUTION_TYPES], dtype=float)
    week = (k_days - 1) // 7
    in_window = k_days <= cfg.metric_days  # whole days 1..27 plus partial day 28
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
            # day 28 keeps only events before the assignment time of day (binomial thinning)
            c28 = counts[:, cfg.metric_days - 1, :]
            kept28 = rng.binomial(c28.astype(np.int64), frac28[:, None])
            win = counts[:, in_window, :].copy()
            win[:, -1, :] = kept28
            totals = win.sum(axis=1) + day0_counts
            contributions = totals[:, 1:5].sum(axis=1)
            score = totals[:, 1:5] @ w
            active_days = 1 + active[:, : cfg.metric_days - 1].sum(axis=1) + (kept28.sum(axis=1) > 0)
            retained14 = active[:, 7:14].any(axis=1)
            retained30 = active[:, 23:30].any(axis=1)
            vals = np.column_stack(
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
            out[a] += vals
    return out / reps


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


def generate(cfg: SynthConfig, out: str | Path) -> dict:
    """Write members, events, assignments, arms, rewards and ground_truth.json into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([cfg.seed, 0])
    m = _draw_members(cfg, rng)
    n = cfg.members
    act_mult, contrib_mult, offsets = _calendar(cfg)
    start_utc = datetime(cfg.start.year, cfg.start.month, cfg.start.day)  # naive local midnight
    day_utc0 = np.array(
        [
            np.datetime64(start_utc + timedelta(days=d) - timedelta(seconds=int(offsets[d])), "s")
            for d in range(cfg.n_days)
        ]
    ).astype("int64")  # UTC seconds of local midnight of each day
    chunks = [slice(a, min(a + cfg.chunk_members, n)) for a in range(0, n, cfg.chunk_members)]

    # pass 1
    active = np.zeros((n, cfg.n_days), dtype=bool)
    d0 = np.full(n, -1, dtype=np.int64)
    arm = np.full(n, -1, dtype=np.int64)
    spell_h = np.zeros(n)
    for c, sl in enumerate(chunks):
        a, d, r, h = _pass1_chunk(cfg, m, sl, act_mult, np.random.default_rng([cfg.seed, 1, c]))
        active[sl], d0[sl], arm[sl], spell_h[sl] = a, d, r, h
    _choose_inviters(cfg, m, active, np.random.default_rng([cfg.seed, 2]))

    # members table
    join_day = m.join_day
    join_sec = np.round((m.join_t - join_day) * 86400).astype(np.int64).clip(0, 86399)
    off_join = np.array(
        [_utc_offset_seconds(cfg.tz, cfg.start + timedelta(days=int(d))) for d in np.unique(join_day)]
    )
    off_map = dict(zip(np.unique(join_day).tolist(), off_join.tolist(), strict=True))
    join_off = np.array([off_map[d] for d in join_day.tolist()])
    start_epoch = int(np.datetime64(start_utc, "s").astype("int64"))
    joined_at = start_epoch + join_day * 86400 + join_sec - join_off
    ids_all = _member_ids(np.arange(n))
    members = pd.DataFrame(
        {
            "member_id": ids_all,
            "joined_at": pd.to_datetime(joined_at, unit="s", utc=True),
            "community": np.array(COMMUNITIES, dtype=object)[m.community],
            "channel": np.array(CHANNELS, dtype=object)[m.channel],
            "invited_by": np.where(m.inviter >= 0, ids_all[np.maximum(m.inviter, 0)], None),
        }
    )
    _write(members, out / "members", cfg.file_format)

    # pass 2
    cutoff = cfg.export_hour * 3600
    e0 = cfg.days - cfg.experiment_start_offset
    ref_lo, ref_hi = e0 - 30, e0 - 1  # 30-day window ending the day before the experiment starts
    w_types = np.array([DEFAULT_WEIGHTS[t] for t in CONTRIBUTION_TYPES], dtype=float)
    pre_score = np.zeros(n)
    pre_contrib = np.zeros(n, dtype=np.int64)
    pre_active = np.zeros(n, dtype=np.int64)
    assigned_tod = np.zeros(n, dtype=np.int64)
    reps = cfg.truth_reps or int(np.clip(400_000 // max(n, 1), 1, 8))
    truth_rows, truth_vals = [], []
    reward_frames, assignment_frames = [], []
    type_names = np.array(EVENT_TYPES_SIMULATED, dtype=object)
    ev_writer = _Writer(out / "events", cfg.file_format)
    for c, sl in enumerate(chunks):
        crng = np.random.default_rng([cfg.seed, 3, c])
        idx = np.arange(sl.start, sl.stop)
        counts = _counts(crng, active[sl], m, sl, contrib_mult, d0[sl], arm[sl])
        pre_score[sl] = counts[:, ref_lo : ref_hi + 1, 1:5].sum(axis=1) @ w_types
        pre_contrib[sl] = counts[:, ref_lo : ref_hi + 1, 1:5].sum(axis=(1, 2))
        pre_active[sl] = active[sl, ref_lo : ref_hi + 1].sum(axis=1)

        # events: one row per count, time of day from the hourly profile
        cell_member, cell_day, cell_type = np.nonzero(counts)
        reps_per = counts[cell_member, cell_day, cell_type]
        ev_member = np.repeat(cell_member, reps_per)
        ev_day = np.repeat(cell_day, reps_per)
        ev_type = np.repeat(cell_type, reps_per)
        sec = _sample_seconds(crng, ev_member.size)
        jd = join_day[idx][ev_member]
        js = join_sec[idx][ev_member]
        on_join = ev_day == jd
        sec = np.where(on_join, js + (sec * (86400 - js) // 86400), sec)
        keep = (ev_day < cfg.days) | (sec < cutoff)
        ev_member, ev_day, ev_type, sec = ev_member[keep], ev_day[keep], ev_type[keep], sec[keep]
        ts = day_utc0[ev_day] + sec

        # assignment at the first event of the enrolment day
        rows = np.flatnonzero(d0[sl] >= 0)
        if rows.size:
            on_d0 = d0[sl][ev_member] == ev_day
            first = pd.Series(sec[on_d0]).groupby(ev_member[on_d0]).min()
            assigned_tod[idx[rows]] = first.reindex(rows).to_numpy()
            g_rows = idx[rows]
            assignment_frames.append(
                pd.DataFrame(
                    {"row": g_rows, "arm": arm[g_rows], "sec": assigned_tod[g_rows], "day": d0[g_rows]}
                )
            )
            # day-0 counts after the assignment (everything on d0 is at or after the first event)
            day0 = counts[rows, d0[sl][rows], :].astype(float)
            tv = _window_truth(
                cfg,
                m,
                g_rows,
                d0[g_rows],
                assigned_tod[g_rows],
                day0,
                spell_h[g_rows],
                act_mult,
                contrib_mult,
                reps,
                np.random.default_rng([cfg.seed, 4, c]),
            )
            truth_rows.append(g_rows)
            truth_vals.append(tv)
            # rewards: treated arms, days d0+1 .. d0+28, one row per rewarded member-day
            for a_i, a_name in enumerate(ARMS):
                costs = ARM_COSTS.get(a_name)
                if not costs:
                    continue
                cost_vec = np.array([0.0] + [costs.get(t, 0.0) for t in EVENT_TYPES_SIMULATED[1:]])
                r_rows = rows[arm[sl][rows] == a_i]
                if r_rows.size == 0:
                    continue
                dd = d0[sl][r_rows][:, None] + np.arange(1, cfg.metric_days + 1)[None, :]
                dd = np.minimum(dd, cfg.n_days - 1)
                cst = counts[r_rows[:, None], dd, :] @ cost_vec
                rr, kk = np.nonzero(cst > 0)
                day_r = dd[rr, kk]
                reward_frames.append(
                    pd.DataFrame(
                        {
                            "member_id": ids_all[idx[r_rows[rr]]],
                            "ts": pd.to_datetime(day_utc0[day_r] + 86399, unit="s", utc=True),
                            "experiment": cfg.experiment,
                            "arm": a_name,
                            "cost": np.round(cst[rr, kk], 2),
                        }
                    )
                )

        # invites made by earlier members on this chunk's join days
        inv = idx[(m.inviter[idx] >= 0) & (join_day[idx] >= 0)]
        inv_ts = (
            start_epoch
            + join_day[inv] * 86400
            - join_off[inv]
            + np.maximum(join_sec[inv] - crng.integers(60, 3600, inv.size), 0)
        )
        inv_keep = (join_day[inv] < cfg.days) | (join_sec[inv] < cutoff)
        ev_ids = ids_all[idx][ev_member] if ev_member.size else np.array([], dtype=object)
        comm = m.community[idx][ev_member]
        other = crng.random(ev_member.size) < 0.1
        comm = np.where(other, crng.integers(0, len(COMMUNITIES), ev_member.size), comm)
        table = pa.table(
            {
                "member_id": pa.array(
                    np.concatenate([ev_ids, ids_all[m.inviter[inv[inv_keep]]]]), pa.string()
                ),
                "ts": pa.array(np.concatenate([ts, inv_ts[inv_keep]]) * 1_000_000, pa.int64()).cast(
                    pa.timestamp("us", tz="UTC")
                ),
                "event_type": pa.array(
                    np.concatenate(
                        [type_names[ev_type], np.full(int(inv_keep.sum()), "invite", dtype=object)]
                    ),
                    pa.string(),
                ),
                "community": pa.array(
                    np.concatenate(
                        [
                            np.array(COMMUNITIES, dtype=object)[comm],
                            np.array(COMMUNITIES, dtype=object)[m.community[m.inviter[inv[inv_keep]]]],
                        ]
                    ),
                    pa.string(),
                ),
            }
        )
        ev_writer.write(table)
    ev_writer.close()

    # assignments and arms
    asg = (
        pd.concat(assignment_frames, ignore_index=True)
        if assignment_frames
        else pd.DataFrame(columns=["row", "arm", "sec", "day"])
    )
    asg_ts = (
        start_epoch + asg["day"].to_numpy() * 86400 + asg["sec"].to_numpy() - offsets[asg["day"].to_numpy()]
    )
    assignments = pd.DataFrame(
        {
            "experiment": cfg.experiment,
            "member_id": ids_all[asg["row"].to_numpy()],
            "arm": np.array(ARMS, dtype=object)[asg["arm"].to_numpy()],
            "assigned_at": pd.to_datetime(asg_ts, unit="s", utc=True),
        }
    )
    rng_x = np.random.default_rng([cfg.seed, 5])
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
    _write(assignments, out / "assignments", cfg.file_format)
    arms = pd.DataFrame(
        {
            "experiment": cfg.experiment,
            "arm": list(ARMS),
            "weight": [ARM_WEIGHTS[a] for a in ARMS],
            "is_control": [a == "control" for a in ARMS],
        }
    )
    _write(arms, out / "arms", cfg.file_format)
    rewards = (
        pd.concat(reward_frames, ignore_index=True)
        if reward_frames
        else pd.DataFrame(
            {"member_id": [], "ts": pd.to_datetime([], utc=True), "experiment": [], "arm": [], "cost": []}
        )
    )
    _write(rewards, out / "rewards", cfg.file_format)

    truth = _ground_truth(
        cfg,
        m,
        d0,
        arm,
        truth_rows,
        truth_vals,
        set(extra["member_id"]),
        ids_all,
        reps,
        pre_score,
        pre_contrib,
        pre_active,
        join_day,
        ref_lo,
        ref_hi,
        rewards,
    )
    (out / "ground_truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False), encoding="utf-8")
    return truth


def _ground_truth(
    cfg,
    m,
    d0,
    arm,
    truth_rows,
    truth_vals,
    multi_ids,
    ids_all,
    reps,
    pre_score,
    pre_contrib,
    pre_active,
    join_day,
    ref_lo,
    ref_hi,
    rewards,
) -> dict:
    rows = np.concatenate(truth_rows) if truth_rows else np.array([], dtype=np.int64)
    vals = np.concatenate(truth_vals, axis=1) if truth_vals else np.zeros((len(ARMS), 0, len(METRICS)))
    single = ~np.isin(ids_all[rows], list(multi_ids))
    rows, vals = rows[single], vals[:, single, :]
    joined = join_day <= ref_hi
    tiers = _tiers_from_window(pre_score, pre_contrib, pre_active, (join_day >= ref_lo) & joined, joined)
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
                ctrl = float(vals[0, mask, j].mean())
                trt = float(vals[a_i, mask, j].mean())
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
    contrib_j = METRICS.index("contributions")
    cost_truth = {}
    if len(rewards):
        for a_name, g in rewards.groupby("arm"):
            a_i = ARMS.index(a_name)
            arm_ids = set(ids_all[rows[arm[rows] == a_i]])
            cost_pm = g[g["member_id"].isin(arm_ids)].groupby("member_id")["cost"].sum().sum() / max(
                len(arm_ids), 1
            )
            incr = float((vals[a_i, :, contrib_j] - vals[0, :, contrib_j]).mean())
            cost_truth[a_name] = {
                "cost_per_member": float(cost_pm),
                "incremental_contributions_per_member": incr,
                "cost_per_incremental_contribution": float(cost_pm / incr) if incr > 0 else None,
            }
    tier_counts = {t: int((tiers == t).sum()) for t in ("core", "active", "novice", "lurker", "dormant")}
    e0 = cfg.days - cfg.experiment_start_offset
    return {
        "generator": "analysis.synth",
        "config": {k: (str(v) if isinstance(v, date) else v) for k, v in asdict(cfg).items()}
        | {"festival": [str(cfg.festival[0]), str(cfg.festival[1])]},
        "tz": cfg.tz,
        "log_start": str(cfg.start),
        "as_of": str(cfg.as_of),
        "export_cutoff_local": f"{cfg.start + timedelta(days=cfg.days)} {cfg.export_hour:02d}:00",
        "members": cfg.members,
        "members_joined_before_log": int((join_day < 0).sum()),
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
                "x channel multiplier (x 1.3 in a comeback spell; x the arm's hazard multiplier by segment after "
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
        "experiments": [
            {
                "name": cfg.experiment,
                "start": str(cfg.experiment_start),
                "enrollment_end": str(cfg.start + timedelta(days=e0 + cfg.enrollment_days - 1)),
                "metric_days": cfg.metric_days,
                "arms": {a: {"weight": ARM_WEIGHTS[a], "is_control": a == "control"} for a in ARMS},
                "assigned_members": int((d0 >= 0).sum()),
                "members_with_multiple_arms": len(multi_ids),
                "effects_description": (
                    "effect = mean over singly-assigned members of E[metric | arm] - E[metric | control], "
                    "given each member's state at assignment; metrics per docs/definitions.md (window "
                    "[assigned_at, assigned_at + metric_days), retention on local days 8..14 / 24..30). "
                    "Groups: all, latent segment, tier at the day before the experiment starts."
                ),
                "truth_reps": reps,
                "effects": effects,
                "planted_multipliers": ARM_EFFECTS,
                "novelty_decay_per_week": ARM_NOVELTY_DECAY,
                "reward_cost_per_event": ARM_COSTS,
                "cost_effectiveness": cost_truth,
                "tier_reference_date": str(cfg.start + timedelta(days=ref_hi)),
                "tiers_at_reference": tier_counts,
            }
        ],
    }


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
