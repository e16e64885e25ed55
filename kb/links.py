"""Links a visitor may follow: the one check for every URL that is stored (a lab's or an agency's website, a
product's or a legal document's source) and the one test a template applies before it writes an ``href``.

Only ``http://`` and ``https://`` addresses with a host are links; ``javascript:``, ``vbscript:``, ``data:``
and every other scheme are refused on input and, for data stored before the check, shown as text."""

from __future__ import annotations

import re
from typing import Any

from kb.errors import BadInput
from kb.text import clean

# A scheme, then a host that starts with a letter, a digit or "[" (IPv6), and no white space anywhere.
_WEB = re.compile(r"https?://[\w\[][^\s]*", re.IGNORECASE)


def is_web_link(value: Any) -> bool:
    """Whether ``value`` is an http(s) address a page may link to."""
    return isinstance(value, str) and _WEB.fullmatch(value.strip()) is not None


def check_url(value: Any, field: str) -> str | None:
    """A form's or an import's URL, cleaned: ``None`` when empty, else an http(s) address or BadInput."""
    text = clean(str(value)) if value is not None else ""
    if not text:
        return None
    if not is_web_link(text):
        raise BadInput(f"{field}: chỉ nhận địa chỉ trang web bắt đầu bằng http:// hoặc https:// "
                       f"(không nhận {text[:40]!r})")
    return text


def safe_href(value: Any) -> str | None:
    """The address to put in an ``href``, or ``None`` (the template then shows the text without a link)."""
    return value.strip() if is_web_link(value) else None
