"""HS codes (the Harmonised System as Vietnam's nomenclature extends it to 8 digits): one way to read them.

``8516.60.10``, ``8516 60 10``, ``851660`` and ``8516`` are all accepted; a code is kept as its digits, and a
shorter code (2, 4 or 6 digits) stands for every 8-digit line under it.
"""

from __future__ import annotations

import re

from kb.errors import BadInput
from kb.text import clean, is_digits

LENGTHS = (2, 4, 6, 8)


def normalize_hs(value: str, field: str = "hs_code") -> str:
    """``19.02``, ``1902 30 20`` → digits; only 2, 4, 6 or 8 of them make an HS code (``BadInput`` names
    ``field`` otherwise)."""
    text = clean(str(value)).strip('"')
    digits = re.sub(r"[\s.]", "", text)
    if not is_digits(digits) or len(digits) not in LENGTHS:
        raise BadInput(f"{field}: {text!r} không phải mã HS gồm 2, 4, 6 hoặc 8 chữ số")
    return digits


def covers(prefix: str, code: str) -> bool:
    """Whether the (shorter) code ``prefix`` stands for ``code``: ``8516`` covers ``85166010``."""
    return code.startswith(prefix)


def dotted(code: str) -> str:
    """``85166010`` → ``8516.60.10``, ``8516`` → ``85.16``… the way the nomenclature prints codes."""
    if len(code) == 4:
        return f"{code[:2]}.{code[2:]}"
    parts = [code[:4]] + [code[i:i + 2] for i in range(4, len(code), 2)]
    return ".".join(parts)
