"""Result types returned by ``kb.search.search``: plain data, JSON-ready."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Hit:
    kind: str  # standard | product | lab | group
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
    #: Why a near match is only near (None for hits), e.g. "chỉ khớp một phần: thiếu «đông hồ»".
    why: str | None = None

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
            "why": self.why,
        }


@dataclass
class SearchResults:
    query: str
    #: Answers: records that match the query as a whole (its code; all its words in one title, name or
    #: alias field; or the query as a phrase in the text).
    hits: list[Hit] = field(default_factory=list)
    #: Counts hits only.
    total: int = 0
    #: Partial matches, each with ``why``: never answers, shown apart.
    near: list[Hit] = field(default_factory=list)
    near_total: int = 0
    did_you_mean: str | None = None
    #: facet name -> value -> count, over every hit (not only the page shown; near matches not counted)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Answered from the database while the index is rebuilt (slower, simpler ranking, no near matches).
    degraded: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "hits": [h.to_json() for h in self.hits],
            "total": self.total,
            "near": [h.to_json() for h in self.near],
            "near_total": self.near_total,
            "did_you_mean": self.did_you_mean,
            "facets": self.facets,
            "degraded": self.degraded,
        }
