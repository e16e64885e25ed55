"""Counters of what the knowledge base does (searches, ingested files, imported rows), for ``/metrics``.

Prometheus' client keeps counters per process, so these are module-level objects as that library intends
(they hold numbers, not connections: the no-globals rule is about engines and indexes). When the server runs
several worker processes, ``kb serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` before they start: every counter
then lives in a small memory-mapped file there and ``/metrics`` adds up all workers' files
(``web.observability``). The variable must be set before ``prometheus_client`` is first imported.

The web's request counters are in ``web.observability``; gauges read from the database at scrape time
(outbox, index lag) are computed by whichever worker answers the scrape, never stored here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import Counter

SEARCHES = Counter("kb_search_queries", "Searches answered by the search engine (a page-cache hit is not counted)",
                   ["kind", "degraded"])
INGEST_FILES = Counter("kb_ingest_files", "PDF files through an ingest run of this server, by outcome", ["status"])
IMPORT_ROWS = Counter("kb_import_rows", "Spreadsheet rows through an upload job of this server, by outcome",
                      ["kind", "outcome"])

#: What a PDF run's counts hold per file (kb.models.IngestStatus values).
_FILE_STATUSES = ("ingested", "unchanged", "needs_ocr", "failed")
#: What an upload job's counts hold per row (``error_count``: lines refused).
_ROW_OUTCOMES = {"created": "created", "updated": "updated", "unchanged": "unchanged", "deleted": "deleted",
                 "error_count": "error"}


def searched(kind: str | None, degraded: bool) -> None:
    SEARCHES.labels(kind=kind or "all", degraded="true" if degraded else "false").inc()


def run_finished(kind: str | None, counts: Mapping[str, Any]) -> None:
    """A run closed (``kb.documents.finish_run``): a PDF run (``kind`` None) counts its files by status, an
    upload job its rows by outcome. Never raises: this is bookkeeping."""
    try:
        if kind is None:
            for status in _FILE_STATUSES:
                n = int(counts.get(status) or 0)
                if n:
                    INGEST_FILES.labels(status=status).inc(n)
            return
        for key, outcome in _ROW_OUTCOMES.items():
            n = int(counts.get(key) or 0)
            if n:
                IMPORT_ROWS.labels(kind=kind, outcome=outcome).inc(n)
    except (TypeError, ValueError):
        pass
