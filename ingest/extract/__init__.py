"""Extract the label fields of a standard / regulation from its page texts: one module per part of the
document (``identity``, ``titles``, ``foreword``, ``structure``); the kind and the entry point
(``extract_fields``) in ``fields``.

``fields.extract_fields(pages)`` takes the NFC page texts from ``ingest.pdf.read_pdf`` and returns
an ``ExtractedStandard`` (``kb.records``) with the fields of the corpus label schema, each with the page
it came from and how it was found (``provenance``). Everything is found by position and wording, never by file name:

- the document's own designation: a line that is only a Vietnamese designation on the cover or in the
  running header, or the subject of a foreword sentence (``TCVN 9395:2012 được chuyển đổi từ ...``);
- titles: the upper-case block after the designation on the cover (else the template header box or
  the first upper-case block that is not a letterhead), the English line(s) after it;
- foreword: "thay thế", "chuyển đổi từ", "hoàn toàn tương đương" / "tham khảo", and the approval chain
  "do A biên soạn, B đề nghị, C thẩm định, D công bố";
- clause "Tài liệu viện dẫn": every designation in it;
- sections: top-level numbered headings found in sequence (1, 2, 3 ...), then annex identifiers.

All designations go through ``kb.codes``. Every regex here is linear in the text length.
"""
