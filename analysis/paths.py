"""Every path the package uses, derived from the repository root (never the CWD)."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
CONFIG = DATA / "simulation.yaml"
SIMULATED = DATA / "simulated"
EXAMPLES = DATA / "examples"
REPORTS = ROOT / "reports"
REPLICATION_REPORT = REPORTS / "replication"
