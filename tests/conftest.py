"""Shared fixtures: small hand-built data sources and one small simulated community."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.synth import SynthConfig, generate


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """``analysis <args>`` in a fresh interpreter, output captured (the caller checks the exit code)."""
    command = [sys.executable, "-m", "analysis.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def write_source(folder: Path, fmt: str = "csv", encoding: str = "utf-8", **tables: pd.DataFrame) -> Path:
    """Write each DataFrame as ``folder/NAME.csv`` (given encoding) or ``NAME.parquet``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        if fmt == "csv":
            df.to_csv(folder / f"{name}.csv", index=False, encoding=encoding)
        else:
            df.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def members_frame(n: int = 3, **overrides) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "member_id": [f"u{i}" for i in range(1, n + 1)],
            "joined_at": ["2026-01-01T02:00:00Z"] * n,
            "community": ["摄影"] * n,
            "channel": ["organic"] * n,
            "invited_by": [None] * n,
        }
    )
    for k, v in overrides.items():
        df[k] = v
    return df


def events_frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["member_id", "ts", "event_type"])


@pytest.fixture
def valid_tables() -> dict[str, pd.DataFrame]:
    return {
        "members": members_frame(3),
        "events": events_frame(
            [
                ("u1", "2026-01-01T03:00:00Z", "visit"),
                ("u1", "2026-01-02T03:00:00Z", "post"),
                ("u2", "2026-01-03T03:00:00Z", "like"),
                ("u3", "2026-01-05T03:00:00Z", "visit"),
            ]
        ),
        "assignments": pd.DataFrame(
            {
                "experiment": ["e1", "e1"],
                "member_id": ["u1", "u2"],
                "arm": ["control", "points"],
                "assigned_at": ["2026-01-02T00:00:00Z", "2026-01-02T00:00:00Z"],
            }
        ),
        "arms": pd.DataFrame(
            {
                "experiment": ["e1", "e1"],
                "arm": ["control", "points"],
                "weight": [0.5, 0.5],
                "is_control": [True, False],
            }
        ),
    }


@pytest.fixture(scope="session")
def synth_small(tmp_path_factory) -> tuple[Path, dict]:
    """A 3,000-member simulated community (Parquet) and its ground truth."""
    out = tmp_path_factory.mktemp("synth_small")
    truth = generate(SynthConfig(members=3000, seed=11), out)
    return out, truth
