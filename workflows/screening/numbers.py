"""Phone numbers and ID-like numbers.

* ``PHONE``: phone numbers that ``phonenumbers`` judges *valid* (leniency VALID): local numbers
  for the factory's country only (its ISO code is the region), and international numbers
  written with ``+`` for any country.
* ``NATIONAL_ID``: ID-like numbers: a run of 9 to 17 digits (any script's digits), optionally
  in groups of two or more digits joined by single spaces, dashes or underscores, that is not
  inside a phone number, e-mail or link. This covers e.g. Indonesian NIK (16 digits), Vietnamese
  CCCD (12), Bangladesh NID (10/13/17) and Cambodian ID (9; a 9-digit number that is also a
  valid Cambodian phone number is flagged as ``PHONE`` instead). Not counted: numbers with ``,``
  or ``.`` separators (amounts such as ``1,500,000`` or ``1.500.000``), numbers grouped in
  threes by spaces (``150 000 000``), numbers next to a currency sign, code or word (``Rp``,
  ``VND``, ``dong``, ``$``, ``৳`` ...), numbers preceded by ``+``, lists of years
  (``2019 2020 2021``) and time stamps: a date ``YYYYMMDD`` followed by at most nine more
  digits, in a file name or when a separator follows the date (``IMG_20250312_143055.jpg``).
  Bank account, invoice or order numbers of 9-17 digits are flagged too: "ID-like", not "ID".

Not detected:

* Phone numbers of another country written without ``+``; numbers ``phonenumbers`` does not
  consider valid; numbers written in words.
* ID numbers shorter than 9 or longer than 17 digits, or written with ``.``/``,`` separators;
  passport numbers with letters.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from .flags import Flag, FlagKind


def find_phones(source: str, text: str, country: str) -> list[Flag]:
    region = (country or "").strip().upper() or "ZZ"
    flags = []
    try:
        matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
        for m in matcher:
            flags.append(Flag(FlagKind.PHONE, source, m.start, m.end, text[m.start:m.end]))
    except Exception:  # pragma: no cover - phonenumbers is defensive; never fail a submission
        return flags
    return flags


_SEP = "[ \\-_\u00a0]"
# Digits, or groups of two or more digits joined by one separator ("3201 0123 4567 0001").
_ID_RUN = re.compile(rf"(?<!\d)(?<!\d[.,])\d{{2,}}(?:{_SEP}\d{{2,}})*(?!\d)(?![.,]\d)")
_GROUP = re.compile(r"\d+")
_THOUSANDS = re.compile(r"\d{1,3}(?:[ \u00a0]\d{3})+")
_CURRENCY_WORDS = (
    r"rp|idr|vnd|usd|eur|bdt|tk|taka|khr|riel|riels|jod|jd|dinars?|nio|c\$|córdobas?|cordobas?|"
    r"htg|gourdes?|dong|đồng|đ|rupiah|dollars?|us\$|\$|€|£|৳|₫|៛|﷼"
)
_CURRENCY_BEFORE = re.compile(rf"(?:^|[^\w])(?:{_CURRENCY_WORDS})\s*$", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(rf"^\s*(?:{_CURRENCY_WORDS})(?!\w)", re.IGNORECASE)
_ID_MIN, _ID_MAX = 9, 17


def _is_date_prefixed(digits: str) -> bool:
    if len(digits) < 8 or len(digits) - 8 > 9:
        return False
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    return 1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31


def find_national_ids(source: str, text: str, taken: list[tuple[int, int]], *, filename: bool) -> list[Flag]:
    flags = []
    for m in _ID_RUN.finditer(text):
        a, b = m.span()
        run = m.group()
        digits = "".join(ch for ch in run if ch.isdigit())
        if not _ID_MIN <= len(digits) <= _ID_MAX:
            continue
        if a > 0 and text[a - 1] == "+":
            continue
        if any(a < tb and ta < b for ta, tb in taken):
            continue
        if _THOUSANDS.fullmatch(run):
            continue
        if _CURRENCY_BEFORE.search(text[max(0, a - 8):a]) or _CURRENCY_AFTER.search(text[b:b + 10]):
            continue
        groups = ["".join(str(unicodedata.digit(ch)) for ch in g) for g in _GROUP.findall(run)]
        if len(groups) > 1 and all(len(g) == 4 and g[:2] in ("19", "20") for g in groups):
            continue  # a list of years: "2019 2020 2021"
        ascii_digits = "".join(groups)
        date_then_separator = len(groups) > 1 and len(groups[0]) == 8
        if (filename or date_then_separator) and _is_date_prefixed(ascii_digits):
            continue  # a time stamp: IMG_20250312_143055
        flags.append(Flag(FlagKind.NATIONAL_ID, source, a, b, run))
    return flags
