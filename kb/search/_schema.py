"""Index schema and analyzers: one exact (accented) and one folded field per text, plus code keys.

Vietnamese rules: NFC before tokenising, no stop words, no stemming, one-letter words kept. Folding reuses
``kb.text.fold`` so the index and the rest of the application agree on what "unaccented" means.
"""

from __future__ import annotations

import re
from functools import lru_cache

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

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


def _text(*, stored: bool = False, spelling: bool = False, analyzer=None, phrase: bool = False):
    return TEXT(analyzer=analyzer or exact_analyzer(), stored=stored, phrase=phrase, spelling=spelling)


def build_schema() -> Schema:
    ex, fo = exact_analyzer, folded_analyzer
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
        code_key=KEYWORD(lowercase=False),
        code_series=KEYWORD(lowercase=False),
        code_number=KEYWORD(lowercase=False),  # bare numbers for "3118" style queries
        replaced_key=KEYWORD(lowercase=False),
        replaced_series=KEYWORD(lowercase=False),
        equiv_key=KEYWORD(lowercase=False),
        equiv_series=KEYWORD(lowercase=False),
        method_series=KEYWORD(lowercase=False),  # labs: method standards of their scope
        # main text: title / name (+ aliases, accreditation)
        title=_text(analyzer=ex(), stored=True),
        title_f=_text(analyzer=fo(), spelling=True),
        title_en=_text(analyzer=ex(), stored=True),
        title_en_stem=_text(analyzer=english_stem_analyzer()),
        # bigrams of folded title syllables: a cheap phrase-proximity boost (Vietnamese words are 2+ syllables)
        bigrams=KEYWORD(lowercase=False),
        # folded bigrams of the secondary text and body: the query as a phrase there makes a hit
        pairs=KEYWORD(lowercase=False),
        slug=STORED(),  # groups: their address
        # secondary text: scope, description, producer, tests, materials
        text=_text(analyzer=ex(), stored=True),
        text_f=_text(analyzer=fo(), spelling=True),
        # full text of the ingested document: all pages in the standard's own document (for ranking), and
        # each page again as a "page" document (kind=page, parent=standard key) that stores its text for
        # the snippet; page documents are masked out of ordinary searches.
        body=_text(analyzer=ex()),
        body_f=_text(analyzer=fo()),
        parent=ID(),
        page_no=STORED(),
        page_text=STORED(),
        page_f=_text(analyzer=fo()),
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
