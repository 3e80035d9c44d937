"""Shared definitions of the input contract and the metric defaults (DESIGN.md §2-3)."""

from __future__ import annotations

EVENT_TYPES: tuple[str, ...] = ("visit", "post", "comment", "share", "like", "checkin", "invite")
CONTRIBUTION_TYPES: tuple[str, ...] = ("post", "comment", "share", "like")
DEFAULT_WEIGHTS: dict[str, float] = {"post": 5.0, "comment": 3.0, "share": 2.0, "like": 1.0}
DEFAULT_TZ = "Asia/Shanghai"
