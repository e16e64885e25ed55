"""Load the bundled demo data (``data/standards``): catalogue CSVs, the risk lists the demo products meet,
then the sample PDFs.

Every step is idempotent, so ``kb demo`` may be run again at any time: the second run reports everything
unchanged and writes no audit events.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

from ingest.importers import import_file, import_risk_list
from kb.core import KnowledgeBase
from kb.errors import KBError

#: Import order matters: mappings need products and standards, scope rows need labs, groups place the
#: products already there and their mappings need standards.
ORDER = (
    ("standards", "standards.csv"),
    ("products", "products.csv"),
    ("labs", "labs.csv"),
    ("lab-scope", "lab-scope.csv"),
    ("mappings", "mappings.csv"),
    ("agencies", "agencies.csv"),
    ("product-groups", "product-groups.csv"),
    ("group-mappings", "group-mappings.csv"),
    ("legal-documents", "legal-documents.csv"),  # the documents mapping legal bases cite
    ("procedures", "procedures.csv"),  # after agencies: a procedure may name where to file
)
#: Which risk list each subset file is, and from when (``file, document, effective_from, effective_until``):
#: the dates are data, from the documents' register entries (see risk-lists/README.md).
RISK_LISTS = Path("risk-lists") / "lists.csv"


def demo_dir() -> Path:
    """``data/standards`` of the source tree (the package is installed editable, so this is the checkout)."""
    return Path(__file__).resolve().parents[1] / "data" / "standards"


def load_demo(kbase: KnowledgeBase, actor: str = "demo", data_dir: Path | None = None) -> dict[str, Any]:
    """Import the demo CSVs in order, then the risk lists, and ingest the demo PDFs; returns counts per step."""
    root = data_dir or demo_dir()
    if not (root / "standards.csv").is_file():
        raise KBError(f"không tìm thấy dữ liệu mẫu tại {root} (cần bản sao mã nguồn có thư mục data/standards)")
    result: dict[str, Any] = {}
    for kind, name in ORDER:
        report = import_file(kbase, kind, root / name, actor=actor)
        result[kind] = report.to_json()
    # After the legal documents, which the lists' document numbers link to.
    result["risk-lists"] = _import_risk_lists(kbase, root, actor)
    result["pdf"] = _ingest_pdfs(kbase, sorted((root / "pdf").glob("*.pdf")), actor)
    return result


def _import_risk_lists(kbase: KnowledgeBase, root: Path, actor: str) -> dict[str, Any]:
    """Each subset the way ``kb import risk-list FILE --document … --effective-from …`` imports it; the file's
    sha256 makes a second run change nothing. Counts like the catalogue steps, one per list."""
    manifest = root / RISK_LISTS
    out: dict[str, Any] = {"kind": "risk-list", "file": str(manifest), "created": 0, "updated": 0, "unchanged": 0,
                           "deleted": 0, "errors": [], "lists": []}
    with manifest.open(encoding="utf-8-sig", newline="") as fh:
        entries = list(csv.DictReader(fh))
    for line, entry in enumerate(entries, start=2):
        try:
            start = date.fromisoformat(entry["effective_from"])
            until = date.fromisoformat(entry["effective_until"]) if entry.get("effective_until") else None
        except (KeyError, TypeError, ValueError):
            raise KBError(f"{manifest}: dòng {line}: ngày áp dụng không đúng dạng YYYY-MM-DD") from None
        report = import_risk_list(kbase, manifest.parent / entry["file"], document=entry["document"],
                                  effective_from=start, effective_until=until, actor=actor)
        outcome = {"created": "created", "replaced": "updated", "updated": "updated"}.get(report.outcome, "unchanged")
        out[outcome] += 1
        out["errors"] += [{"line": ln, "message": f"{entry['file']}: {msg}"} for ln, msg in report.errors]
        out["lists"].append(report.to_json())
    return out


def _ingest_pdfs(kbase: KnowledgeBase, pdfs: list[Path], actor: str) -> dict[str, Any]:
    if not pdfs:
        return {"files": 0, "note": "không có PDF mẫu"}
    try:
        from ingest.pipeline import ingest_paths
    except ImportError as exc:  # the pipeline is optional for the catalogue demo
        return {"files": len(pdfs), "skipped": True, "note": f"chưa có ingest.pipeline ({exc})"}
    try:
        results = ingest_paths(kbase, pdfs, actor=actor)
    except KBError as exc:  # the catalogue is loaded; say why the PDFs are not
        return {"files": len(pdfs), "error": exc.message}
    status: dict[str, int] = {}
    for r in results:
        status[r.get("status", "?")] = status.get(r.get("status", "?"), 0) + 1
    return {"files": len(pdfs), "status": status,
            "codes": [r.get("code") for r in results if r.get("code")],
            "errors": [f"{Path(str(r.get('file', ''))).name}: {r.get('error')}" for r in results if r.get("error")]}
