"""The procedures the project ships (``data/standards/procedures.csv``), loaded the way ``kb demo`` does."""

from __future__ import annotations

from pathlib import Path

from ingest.importers import import_file

REPO = Path(__file__).resolve().parents[2]
PROCEDURES_CSV = REPO / "data" / "standards" / "procedures.csv"


def load_procedures(kbase) -> None:
    report = import_file(kbase, "procedures", PROCEDURES_CSV, actor="test")
    assert not report.errors, report.errors
