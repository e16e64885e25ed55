"""Result types returned by ``kb.search.search``: plain data, JSON-ready."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Hit:
    kind: str  # standard | product | lab
    id: int
    title: str
    url: str
    score: float
    code: str | None = None  # standards
    accreditation: str | None = None  # labs
    status: str | None = None  # standards
    snippet: str = ""  # HTML-escaped, matches wrapped in <mark>
    #: Why a hit answers a code it does not carry, e.g. "TCVN 3118:1993 đã được thay thế bởi TCVN 3118:2022".
    relation_note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "code": self.code,
            "accreditation": self.accreditation,
            "title": self.title,
            "status": self.status,
            "url": self.url,
            "score": self.score,
            "snippet": self.snippet,
            "relation_note": self.relation_note,
        }


@dataclass
class SearchResults:
    query: str
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    did_you_mean: str | None = None
    #: facet name -> value -> count, over every match (not only the page shown)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "hits": [h.to_json() for h in self.hits],
            "total": self.total,
            "did_you_mean": self.did_you_mean,
            "facets": self.facets,
        }
