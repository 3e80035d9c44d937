"""Every definition once: event types and their columns, contribution weights, the time zone, retention
days and windows, tier names, and the rule sets of tiers, churn, invitations and experiments
(docs/definitions.md).

Analyses import their defaults from here; nothing else spells a definition a second time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from analysis.display import HtmlRepr

# --------------------------------------------------------------------------------------------------
# the input contract

EVENT_TYPES: tuple[str, ...] = ("visit", "post", "comment", "share", "like", "checkin", "invite")
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
DEFAULT_TZ = "Asia/Shanghai"
CONTROL_ARM = "control"  # the control arm of an experiment without an arms table

# --------------------------------------------------------------------------------------------------
# metrics

DEFAULT_WEIGHTS: dict[str, float] = {"post": 5.0, "comment": 3.0, "share": 2.0, "like": 1.0}
RETENTION_DAYS: tuple[int, ...] = (1, 7, 14, 30)  # new-member retention: active on day k exactly
# new-member retention windows: active on any day lo..hi after day 0 (次周留存, 次月留存)
RETENTION_WINDOWS: dict[str, tuple[int, int]] = {"8-14": (8, 14), "24-30": (24, 30)}
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
EXPERIMENT_METRICS: tuple[str, ...] = EXPERIMENT_COUNT_METRICS + EXPERIMENT_RETENTION_METRICS

# --------------------------------------------------------------------------------------------------
# tiers, churn, experiments

TIERS: tuple[str, ...] = ("core", "active", "novice", "lurker", "dormant")
LANDMARK_TIERS: tuple[str, ...] = ("core", "active", "lurker", "dormant")  # no novice at a landmark


@dataclass(frozen=True)
class TierRules(HtmlRepr):
    """The tier definition: score window (days), contribution weights, core share and activity floors."""

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
    """The churn definition: quiet days that make a churn, the landmark (days), how members who joined
    before the log are treated, and the tier rules of the landmark tiers."""

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
    """Fission (社群裂变): a member's invite window is their local join day and the ``window_days`` - 1
    days after it; invites sent and invitees who joined count inside it. A member is *eligible* for the
    K-factor once the window has ended by ``as_of`` and began inside the log (the retention rule).
    ``retention_day``: an invitee is retained when active on local day join + this (D30)."""

    window_days: int = 30
    retention_day: int = 30
    largest_cascades: int = 100  # the cascades whose roots are described by tier

    def __post_init__(self) -> None:
        if self.window_days < 1 or self.retention_day < 1 or self.largest_cascades < 1:
            raise ValueError("window_days, retention_day and largest_cascades must be at least 1")


@dataclass(frozen=True)
class ExperimentRules(HtmlRepr):
    """How an experiment is analysed: the metric window (days), the control arm (None: from the data),
    the significance level, the primary metrics, the churn rule after assignment and the tier rules of
    the pre-assignment tiers."""

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
