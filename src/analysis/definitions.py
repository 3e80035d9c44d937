"""Every definition once: event types and their columns, contribution weights, the time zone, retention
days and windows, tier names, and the rule sets of tiers, churn, invitations and experiments
(docs/definitions.md).

Analyses import their defaults from here; nothing else spells a definition a second time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from analysis.display import HtmlRepr

__all__ = [
    "EVENT_TYPES",
    "CONTRIBUTION_TYPES",
    "DEFAULT_TZ",
    "DEFAULT_WEIGHTS",
    "RETENTION_DAYS",
    "RETENTION_WINDOWS",
    "TRAILING_WINDOWS",
    "ALPHA",
    "EXPERIMENT_METRICS",
    "TIERS",
    "TierRules",
    "ChurnRules",
    "InviteRules",
    "ExperimentRules",
]

# --------------------------------------------------------------------------------------------------
# the input contract

#: The event types of the input contract.
EVENT_TYPES: tuple[str, ...] = ("visit", "post", "comment", "share", "like", "checkin", "invite")
#: The event types that count as a contribution.
CONTRIBUTION_TYPES: tuple[str, ...] = ("post", "comment", "share", "like")
# event type -> the column of per-member (per-day) counts of it
EVENT_COLUMNS: dict[str, str] = {
    "visit": "visits",
    "post": "posts",
    "comment": "comments",
    "share": "shares",
    "like": "likes",
    "checkin": "checkins",
    "invite": "invites",
}
CONTRIBUTION_COLUMNS: tuple[str, ...] = tuple(EVENT_COLUMNS[t] for t in CONTRIBUTION_TYPES)
#: The time zone of local days when none is given.
DEFAULT_TZ = "Asia/Shanghai"
CONTROL_ARM = "control"  # the control arm of an experiment without an arms table

# --------------------------------------------------------------------------------------------------
# metrics

#: Points per contribution type in the contribution score.
DEFAULT_WEIGHTS: dict[str, float] = {"post": 5.0, "comment": 3.0, "share": 2.0, "like": 1.0}
#: New-member retention days k (retained at day k = active on local day join + k exactly).
RETENTION_DAYS: tuple[int, ...] = (1, 7, 14, 30)  # new-member retention: active on day k exactly
# new-member retention windows: active on any day lo..hi after day 0 (次周留存, 次月留存)
#: New-member retention brackets, label -> (first, last) day after joining (次周留存, 次月留存).
RETENTION_WINDOWS: dict[str, tuple[int, int]] = {"8-14": (8, 14), "24-30": (24, 30)}
# trailing distinct-active windows of the daily KPIs: column -> days ending at d, both ends inclusive
#: Trailing windows of the daily KPIs, column -> days ending at the date (both ends inclusive).
TRAILING_WINDOWS: dict[str, int] = {"wau": 7, "mau": 30}
#: Two-sided significance level and 1 - confidence of every interval.
ALPHA = 0.05  # two-sided significance level and 1 - confidence of every interval

EXPERIMENT_COUNT_METRICS: tuple[str, ...] = (
    "contributions",
    "contribution_score",
    "contributor",
    "active_days",
    "visits",
    "checkins",
)
# experiment retention: active on a local day of the window after the assignment day (day 0)
EXPERIMENT_RETENTION: dict[str, tuple[int, int]] = {
    "retained_d14": RETENTION_WINDOWS["8-14"],
    "retained_d30": RETENTION_WINDOWS["24-30"],
}
EXPERIMENT_RETENTION_METRICS: tuple[str, ...] = tuple(EXPERIMENT_RETENTION)
#: The per-member metrics of an experiment.
EXPERIMENT_METRICS: tuple[str, ...] = EXPERIMENT_COUNT_METRICS + EXPERIMENT_RETENTION_METRICS

# --------------------------------------------------------------------------------------------------
# tiers, churn, experiments

#: Tier names, highest first.
TIERS: tuple[str, ...] = ("core", "active", "novice", "lurker", "dormant")
LANDMARK_TIERS: tuple[str, ...] = ("core", "active", "lurker", "dormant")  # no novice at a landmark


@dataclass(frozen=True)
class TierRules(HtmlRepr):
    """The tier definition (docs/definitions.md, "Tiers").

    Attributes
    ----------
    window_days : int
        The score window: the days ending at the reference day (30).
    weights : mapping of str to float
        Points per contribution type (post 5, comment 3, share 2, like 1).
    core_share : float
        Core = the top ``core_share`` of members by score (0.05), among those with enough active days.
    core_min_active_days : int
        Active days in the window a core member needs at least (4).
    active_min_days : int
        Active days in the window that make a non-core member *active* (8).

    Examples
    --------
    >>> from analysis.definitions import TierRules
    >>> TierRules(core_share=0.1).weights["post"]
    5.0
    """

    window_days: int = 30
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    core_share: float = 0.05
    core_min_active_days: int = 4
    active_min_days: int = 8

    def __post_init__(self) -> None:
        if self.weights is None:
            object.__setattr__(self, "weights", dict(DEFAULT_WEIGHTS))
        unknown = set(self.weights) - set(CONTRIBUTION_TYPES)
        if unknown:
            raise ValueError(f"weights for unknown contribution types: {sorted(unknown)}")
        if not 0 < self.core_share <= 1:
            raise ValueError("core_share must be in (0, 1]")


@dataclass(frozen=True)
class ChurnRules(HtmlRepr):
    """The churn definition (docs/definitions.md, "Churn").

    Attributes
    ----------
    churn_days : int
        A member churns on the first day of a run of ``churn_days`` local days without any event (30).
    landmark_days : int
        Survival is measured from ``landmark_days`` after joining, by the tier then (14).
    left_truncation : {"exclude", "entry"}
        Members who joined before the log: left out, or entered late into the risk set.
    tiers : TierRules
        The tier rules of the landmark tiers.
    """

    churn_days: int = 30
    landmark_days: int = 14
    left_truncation: str = "exclude"  # or "entry"
    tiers: TierRules = field(default_factory=TierRules)

    def __post_init__(self) -> None:
        if self.churn_days < 1 or self.landmark_days < 0:
            raise ValueError("churn_days must be >= 1 and landmark_days >= 0")
        if self.left_truncation not in ("exclude", "entry"):
            raise ValueError("left_truncation must be 'exclude' or 'entry'")


@dataclass(frozen=True)
class InviteRules(HtmlRepr):
    """Fission (社群裂变): how invitations are counted (docs/definitions.md, "Growth").

    A member's invite window is their local join day and the ``window_days`` - 1 days after it; invites
    sent and invitees who joined count inside it. A member is *eligible* for the K-factor once the window
    has ended by ``as_of`` and began inside the log.

    Attributes
    ----------
    window_days : int
        Length of the invite window (30).
    retention_day : int
        An invitee is retained when active on local day join + this (30).
    largest_cascades : int
        The cascades whose roots are described by tier (100).
    """

    window_days: int = 30
    retention_day: int = 30
    largest_cascades: int = 100  # the cascades whose roots are described by tier

    def __post_init__(self) -> None:
        if self.window_days < 1 or self.retention_day < 1 or self.largest_cascades < 1:
            raise ValueError("window_days, retention_day and largest_cascades must be at least 1")


@dataclass(frozen=True)
class ExperimentRules(HtmlRepr):
    """How an experiment is analysed (docs/definitions.md, "Experiments").

    Attributes
    ----------
    metric_days : int
        The metric window after assignment (28 days).
    control : str or None
        The control arm; None takes it from the ``arms`` table (or the arm named ``control``).
    alpha : float
        Two-sided significance level (0.05).
    primary : sequence of str
        The primary metrics the verdict rests on.
    churn_days : int
        The churn rule after assignment.
    tiers : TierRules
        The rules of the pre-assignment tiers.
    """

    metric_days: int = 28
    control: str | None = None
    alpha: float = ALPHA
    primary: Sequence[str] = ("contributions", "retained_d30")
    churn_days: int = 30
    tiers: TierRules = field(default_factory=TierRules)

    def __post_init__(self) -> None:
        if self.metric_days < 1:
            raise ValueError(f"metric_days must be at least 1, got {self.metric_days}")
        unknown = [m for m in self.primary if m not in EXPERIMENT_METRICS]
        if unknown:
            raise ValueError(f"unknown primary metrics {unknown}; known: {', '.join(EXPERIMENT_METRICS)}")
