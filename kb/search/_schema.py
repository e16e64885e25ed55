"""Index schema and analyzers: one exact (accented) and one folded field per text, plus code keys.

Vietnamese rules: NFC before tokenising, no stop words, no stemming, one-letter words kept. Folding reuses
``kb.text.fold`` so the index and the rest of the application agree on what "unaccented" means.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.formats import Frequency
from whoosh.system import pack_uint

from kb.text import fold

#: Bump when the schema or the way documents are built changes: a stale index is then rebuilt by itself.
SCHEMA_VERSION = 12

_WORD = r"\w+"
# Old and new spelling write a syllable-final i after a consonant as y or i (mỳ/mì, kỹ/kĩ, lý/lí).
_Y_FINAL = re.compile(r"^([bcdghklmnpqrstvx]+)y$")


@lru_cache(maxsize=200_000)
def term_fold(word: str) -> str:
    """Folded form of one word as the index holds it: ``kb.text.fold`` plus the i/y spelling merge."""
    return _Y_FINAL.sub(r"\1i", fold(word))


class _FoldFilter(Filter):
    def __call__(self, tokens):
        for t in tokens:
            t.text = term_fold(t.text)
            yield t


def exact_analyzer():
    # Text reaches the analyzers NFC-normalised already (kb.text.clean on documents and queries).
    return RegexTokenizer(_WORD) | LowercaseFilter()


def folded_analyzer():
    return RegexTokenizer(_WORD) | LowercaseFilter() | _FoldFilter()


def english_stem_analyzer():
    # Only for English titles, as an extra low-boost field; no stop words so "a"/"on" stay searchable.
    return StemmingAnalyzer(expression=_WORD, stoplist=None, minsize=1)


_WORDS = re.compile(_WORD).findall
_KEYS = re.compile(r"[^ \t\r\n]+").findall  # whoosh's SpaceSeparatedTokenizer, the KEYWORD analyzer
#: What each analyzer below yields for a text, as a list of terms (``_Counted`` counts them).
_TERMS: dict[str, Callable[[str], list[str]]] = {
    "exact": lambda value: [w.lower() for w in _WORDS(value)],
    "folded": lambda value: [term_fold(w.lower()) for w in _WORDS(value)],
    "keys": _KEYS,
}


class _Counted(Frequency):
    """Whoosh's frequency postings, counted from the terms of ``_TERMS[terms]`` in one pass when indexing, instead
    of through the analyzer's chain of token generators (a third of a product's indexing time). The same terms as
    the field's analyzer gives (tests/kb/test_search_schema.py checks), which still parses the queries."""

    def __init__(self, terms: str, field_boost: float = 1.0) -> None:
        super().__init__(field_boost=field_boost)
        self.terms = terms  # a name, not the function: the schema is pickled into the index

    def word_values(self, value, analyzer, **kwargs):
        if not isinstance(value, str) or kwargs.get("mode") != "index":
            return super().word_values(value, analyzer, **kwargs)
        fb = self.field_boost
        return ((w, n, float(n) * fb, pack_uint(n)) for w, n in Counter(_TERMS[self.terms](value)).items())


def _text(terms: str = "exact", *, stored: bool = False, spelling: bool = False):
    field = TEXT(analyzer=folded_analyzer() if terms == "folded" else exact_analyzer(), stored=stored,
                 phrase=False, spelling=spelling)
    field.format = _Counted(terms)
    return field


def _keys():
    field = KEYWORD(lowercase=False)
    field.format = _Counted("keys")
    return field


def build_schema() -> Schema:
    return Schema(
        # identity and display
        key=ID(unique=True, stored=True),  # "standard:12"
        kind=ID(stored=True, sortable=True),
        code=STORED(),
        accreditation=STORED(),
        title_display=STORED(),
        snippet_src=STORED(),  # short text used for the snippet when nothing better matched
        rels=STORED(),  # [[relation, direction, other_code, other_key, other_series, qualifier], ...]
        # designation keys (already normalised by kb.codes; whitespace separated)
        code_key=_keys(),
        code_series=_keys(),
        code_number=_keys(),  # bare numbers for "3118" style queries
        replaced_key=_keys(),
        replaced_series=_keys(),
        equiv_key=_keys(),
        equiv_series=_keys(),
        method_series=_keys(),  # labs: method standards of their scope
        # main text: title / name (+ aliases, accreditation)
        title=_text(stored=True),
        title_f=_text("folded", spelling=True),
        title_en=_text(stored=True),
        title_en_stem=TEXT(analyzer=english_stem_analyzer()),
        # bigrams of folded title syllables: a cheap phrase-proximity boost (Vietnamese words are 2+ syllables)
        bigrams=_keys(),
        # folded bigrams of the secondary text and body: the query as a phrase there makes a hit
        pairs=_keys(),
        slug=STORED(),  # groups: their address
        # secondary text: scope, description, producer, tests, materials
        text=_text(stored=True),
        text_f=_text("folded", spelling=True),
        # full text of the ingested document: all pages in the standard's own document (for ranking), and
        # each page again as a "page" document (kind=page, parent=standard key) that stores its text for
        # the snippet; page documents are masked out of ordinary searches.
        body=_text(),
        body_f=_text("folded"),
        parent=ID(),
        page_no=STORED(),
        page_text=STORED(),
        page_f=_text("folded"),
        # facets and filters
        doc_type=ID(stored=True, sortable=True),
        status=ID(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
        mandatory=ID(stored=True, sortable=True),
        ics=ID(stored=True, sortable=True),  # first ICS code: the facet
        ics_all=KEYWORD(commas=True, lowercase=False),  # every ICS code: the filter
        district=ID(stored=True, sortable=True),
        category=ID(stored=True, sortable=True),
        sample=ID(sortable=True),  # "1": demo or illustrative record
        pk=STORED(),  # read back only, never searched: a NUMERIC field indexed 8 trie terms per document
    )
