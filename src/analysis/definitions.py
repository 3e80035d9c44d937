"""Shared definitions of the input contract and the metric defaults (docs/definitions.md)."""

from __future__ import annotations

EVENT_TYPES: tuple[str, ...] = ("visit", "post", "comment", "share", "like", "checkin", "invite")
CONTRIBUTION_TYPES: tuple[str, ...] = ("post", "comment", "share", "like")
DEFAULT_WEIGHTS: dict[str, float] = {"post": 5.0, "comment": 3.0, "share": 2.0, "like": 1.0}
DEFAULT_TZ = "Asia/Shanghai"
CONTROL_ARM = "control"  # the control arm of an experiment without an arms table
EXPERIMENT_COUNT_METRICS: tuple[str, ...] = (
    "contributions", "contribution_score", "contributor", "active_days", "visits", "checkins",
)  # fmt: skip
EXPERIMENT_RETENTION_METRICS: tuple[str, ...] = ("retained_d14", "retained_d30")
EXPERIMENT_METRICS: tuple[str, ...] = EXPERIMENT_COUNT_METRICS + EXPERIMENT_RETENTION_METRICS
