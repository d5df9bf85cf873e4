"""Automatic screening of supplier responses (text and attachment file names).

Screening *flags*; it never publishes, removes or blocks anything. Each flag names what was
found, where (``source`` is ``"text"`` or ``"filename:<i>"`` for the i-th attachment, with the
span as Python ``str`` indices into that source) and the matched text, so that a moderator can
see it and the queue can be ordered by :func:`severity`.

What is detected
----------------
* ``EMAIL``: e-mail addresses, as found by linkify-it-py (bare ``a@b.org`` and ``mailto:``).
* ``LINK``: URLs and bare domains such as ``example.com`` or ``www.example.org`` (linkify-it-py).
  A bare domain whose last label starts with a capital (``paid.As agreed``: a missing space after
  a full stop) is not counted. In file names the extension is not screened for links
  (``logo.ai`` is a file, not a link).
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
* ``PERSONAL_NAME``: only an honorific followed by a name, in the factory's languages plus
  English: ``Mr``, ``Mrs``, ``Ms``, ``Miss``, ``Dr`` (en); ``M.``, ``Mme``, ``Mlle``, ``Dr`` (fr);
  ``Sr``, ``Sra``, ``Srta``, ``Dr``, ``Dra``, ``Don``, ``Doña`` (es); ``Bapak``, ``Pak``, ``Ibu``,
  ``Bu``, ``Sdr``, ``Sdri`` (id); ``Anh``, ``Chị``, ``Ông``, ``Bà`` (vi); ``Msye``, ``Madan`` (ht)
  followed by one to four capitalised words; ``السيد``, ``السيدة``, ``الأستاذ``, ``الأستاذة``
  (ar) and ``জনাব``, ``জনাবা``, ``বেগম``, ``শ্রী``, ``শ্রীমতী`` (bn) followed by one word of the
  same script. **Bare names ("Nguyen Van An said ...") are not detected**: there is no
  named-entity model on the portal's machines.
* ``ABUSIVE_WORD``: entries of the per-language word lists in ``wordlists/{lang}.txt`` (see
  ``wordlists/ATTRIBUTION.md``), matched case-insensitively on word boundaries, for the factory
  country's languages plus English only (so French ``con`` is matched for a Haitian factory but
  not for a Vietnamese one). The text is also matched in Unicode NFC form, so decomposed
  Vietnamese diacritics match the list. Khmer (``km``) and Haitian Creole (``ht``) lists are
  empty: no abusive words are detected in those languages yet.

What is not detected
--------------------
* Bare personal names, nicknames, initials on their own, addresses, and names in Khmer.
* Phone numbers of another country written without ``+``; numbers ``phonenumbers`` does not
  consider valid; numbers written in words.
* ID numbers shorter than 9 or longer than 17 digits, or written with ``.``/``,`` separators;
  passport numbers with letters.
* Abusive words shorter than three letters in Latin script (dropped from the lists as too
  ambiguous, e.g. Vietnamese ``đụ`` alone; longer phrases containing them are listed), and
  unaccented Vietnamese spellings that are also ordinary words typed without diacritics.
* Abusive language that is not on a list: misspellings and obfuscations (``f*ck``), words glued
  to other words, Arabic words with attached prefixes (``وال...``), Arabizi (Arabic in Latin
  letters), insults made of ordinary words, threats, defamation, hate speech without slurs,
  and anything in Khmer or Haitian Creole. Scripts written without spaces between words (Khmer,
  Thai) cannot be matched on word boundaries.
* Links written without a dot (``example dot com``) or with a top-level domain linkify-it-py does
  not know.
* Anything inside attachments (only their file names are screened).

Severity (for ordering the moderation queue; a higher number is looked at first):

=====================================  =====
ABUSIVE_WORD, NATIONAL_ID              3
PHONE, EMAIL, PERSONAL_NAME            2
LINK                                   1
no flag                                0
=====================================  =====
"""

from __future__ import annotations

import functools
import importlib.resources
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

import phonenumbers
from linkify_it import LinkifyIt

__all__ = [
    "Flag",
    "FlagKind",
    "SEVERITY",
    "WORDLIST_LANGUAGES",
    "load_wordlist",
    "screen",
    "severity",
]


class FlagKind(str, Enum):
    EMAIL = "email"
    PHONE = "phone"
    LINK = "link"
    NATIONAL_ID = "national_id"
    ABUSIVE_WORD = "abusive_word"
    PERSONAL_NAME = "personal_name"


#: Severity per kind: 3 = abusive word or ID number, 2 = other personal data, 1 = link.
SEVERITY: dict[FlagKind, int] = {
    FlagKind.ABUSIVE_WORD: 3,
    FlagKind.NATIONAL_ID: 3,
    FlagKind.PHONE: 2,
    FlagKind.EMAIL: 2,
    FlagKind.PERSONAL_NAME: 2,
    FlagKind.LINK: 1,
}


@dataclass(frozen=True)
class Flag:
    kind: FlagKind
    source: str  # "text" or "filename:<index of the attachment>"
    start: int
    end: int
    match: str
    language: str | None = None  # for ABUSIVE_WORD: the list that matched

    @property
    def severity(self) -> int:
        """3 for ABUSIVE_WORD and NATIONAL_ID, 2 for PHONE/EMAIL/PERSONAL_NAME, 1 for LINK."""
        return SEVERITY[self.kind]


def severity(flags: Iterable[Flag]) -> int:
    """The response's screening severity: the highest of its flags, 0 without flags."""
    return max((f.severity for f in flags), default=0)


# --------------------------------------------------------------------------------------------
# Word lists

#: Languages that have a word-list file (km and ht exist but are empty).
WORDLIST_LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "id", "vi", "ar", "bn", "km", "ht")


def _norm_lang(code: str) -> str:
    return code.strip().replace("_", "-").split("-")[0].lower()


@functools.lru_cache(maxsize=None)
def load_wordlist(lang: str) -> tuple[str, ...]:
    """The entries of ``wordlists/{lang}.txt`` (NFC, lowercase, no comments), or () if none."""
    lang = _norm_lang(lang)
    if lang not in WORDLIST_LANGUAGES:
        return ()
    resource = importlib.resources.files("transparency_portal.workflows") / "wordlists" / f"{lang}.txt"
    try:
        raw = resource.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    entries: dict[str, None] = {}
    for line in raw.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        entry = " ".join(unicodedata.normalize("NFC", line).lower().split())
        entries[entry] = None
    return tuple(entries)


@functools.lru_cache(maxsize=1)
def _word_char() -> str:
    """A character class for 'part of a word': \\w plus combining marks and ZWNJ/ZWJ.

    Python's \\w leaves out combining marks (Bengali vowel signs and virama, Arabic harakat,
    decomposed diacritics), which would put false word boundaries inside words.
    """
    ranges: list[tuple[int, int]] = []
    start = prev = -2
    for cp in range(0x20000):
        if unicodedata.category(chr(cp)) in ("Mn", "Mc", "Me"):
            if cp == prev + 1:
                prev = cp
                continue
            if start >= 0:
                ranges.append((start, prev))
            start = prev = cp
    if start >= 0:
        ranges.append((start, prev))
    ranges.append((0xE0100, 0xE01EF))  # variation selectors supplement
    ranges.append((0x200C, 0x200D))  # ZWNJ, ZWJ
    parts = "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges
    )
    return rf"[\w{parts}]"


@functools.lru_cache(maxsize=None)
def _wordlist_pattern(lang: str) -> re.Pattern[str] | None:
    entries = load_wordlist(lang)
    if not entries:
        return None
    w = _word_char()
    alternatives = [
        r"\s+".join(re.escape(part) for part in entry.split(" "))
        for entry in sorted(entries, key=lambda e: (-len(e), e))
    ]
    return re.compile(rf"(?<!{w})(?:{'|'.join(alternatives)})(?!{w})", re.IGNORECASE)


def _nfc_with_map(s: str) -> tuple[str, list[int] | None, list[int] | None]:
    """NFC form of ``s`` and, if it differs, the original start/end index of each NFC char."""
    if unicodedata.is_normalized("NFC", s):
        return s, None, None
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(s)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(s[j]):
            j += 1
        piece = unicodedata.normalize("NFC", s[i:j])
        out.append(piece)
        starts.extend([i] * len(piece))
        ends.extend([j] * len(piece))
        i = j
    return "".join(out), starts, ends


def _abusive(source: str, text: str, languages: Sequence[str]) -> list[Flag]:
    flags: list[Flag] = []
    seen: set[tuple[int, int]] = set()
    nfc, starts, ends = _nfc_with_map(text)
    variants = [(text, None, None)]
    if starts is not None:
        variants.append((nfc, starts, ends))
    for lang in languages:
        pattern = _wordlist_pattern(lang)
        if pattern is None:
            continue
        for subject, s_map, e_map in variants:
            for m in pattern.finditer(subject):
                a, b = m.span()
                if s_map is not None and e_map is not None:
                    a, b = s_map[a], e_map[b - 1]
                if (a, b) in seen:
                    continue
                seen.add((a, b))
                flags.append(Flag(FlagKind.ABUSIVE_WORD, source, a, b, text[a:b], lang))
    return flags


# --------------------------------------------------------------------------------------------
# E-mail addresses and links

@functools.lru_cache(maxsize=1)
def _linkify() -> LinkifyIt:
    return LinkifyIt()


def _links(source: str, text: str) -> list[Flag]:
    matches = _linkify().match(text) or []
    flags = []
    for m in matches:
        a, b = m.index, m.last_index
        if m.schema == "mailto:":
            flags.append(Flag(FlagKind.EMAIL, source, a, b, text[a:b]))
            continue
        if m.schema == "":  # fuzzy match: bare domain or www.
            host = m.raw.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].split(":", 1)[0]
            tld = host.rsplit(".", 1)[-1]
            if tld[:1].isupper():
                continue  # "paid.As agreed": a missing space after a full stop
        flags.append(Flag(FlagKind.LINK, source, a, b, text[a:b]))
    return flags


# --------------------------------------------------------------------------------------------
# Phone numbers

def _phones(source: str, text: str, country: str) -> list[Flag]:
    region = (country or "").strip().upper() or "ZZ"
    flags = []
    try:
        matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
        for m in matcher:
            flags.append(Flag(FlagKind.PHONE, source, m.start, m.end, text[m.start:m.end]))
    except Exception:  # pragma: no cover - phonenumbers is defensive; never fail a submission
        return flags
    return flags


# --------------------------------------------------------------------------------------------
# ID-like numbers

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


def _national_ids(source: str, text: str, taken: list[tuple[int, int]], *, filename: bool) -> list[Flag]:
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


# --------------------------------------------------------------------------------------------
# Personal names (honorific + name only)

# Honorifics written in a cased script: followed by 1-4 capitalised words.
_HONORIFICS_CASED: dict[str, tuple[str, ...]] = {
    "en": ("Mr", "Mrs", "Ms", "Miss", "Dr"),
    "fr": ("M.", "Mme", "Mlle", "Dr"),
    "es": ("Sr", "Sra", "Srta", "Dr", "Dra", "Don", "Doña", "don", "doña"),
    "id": ("Bapak", "Pak", "Ibu", "Bu", "Sdr", "Sdri", "bapak", "pak", "ibu", "bu"),
    "vi": ("Anh", "Chị", "Ông", "Bà", "anh", "chị", "ông", "bà"),
    "ht": ("Msye", "Madan"),
}
# Honorifics in uncased scripts: followed by one word of the same script.
_HONORIFICS_UNCASED: dict[str, tuple[tuple[str, ...], str]] = {
    "ar": (("السيد", "السيدة", "الأستاذ", "الأستاذة"), "\u0600-\u06ff"),
    "bn": (("জনাব", "জনাবা", "বেগম", "শ্রীমতী", "শ্রী"), "\u0980-\u09ff"),
}
_ABBREVIATIONS = {"Mr", "Mrs", "Ms", "Dr", "Dra", "Sr", "Sra", "Srta", "Mme", "Mlle", "Sdr", "Sdri"}


@functools.lru_cache(maxsize=None)
def _name_pattern(lang: str) -> tuple[re.Pattern[str], bool] | None:
    w = _word_char()
    if lang in _HONORIFICS_CASED:
        alts = []
        for h in sorted(_HONORIFICS_CASED[lang], key=len, reverse=True):
            alts.append(re.escape(h) + (r"\.?" if h in _ABBREVIATIONS else ""))
        word = rf"[^\W\d_]{w}*(?:['’\-]{w}+)*\.?"
        # Honorific, then up to four words; which of them are capitalised is checked afterwards.
        pattern = re.compile(rf"(?<!{w})(?:{'|'.join(alts)})(?!{w})((?:[ \t\u00a0]+{word}){{1,4}})")
        return pattern, True
    if lang in _HONORIFICS_UNCASED:
        words, script = _HONORIFICS_UNCASED[lang]
        alts = "|".join(re.escape(h) for h in sorted(words, key=len, reverse=True))
        pattern = re.compile(rf"(?<!{w})(?:{alts})[ \t\u00a0]+((?!ال)[{script}]+)(?!{w})")
        return pattern, False
    return None


_NAME_WORD = re.compile(r"\S+")


def _names(source: str, text: str, languages: Sequence[str]) -> list[Flag]:
    flags = []
    seen: set[tuple[int, int]] = set()
    for lang in languages:
        compiled = _name_pattern(lang)
        if compiled is None:
            continue
        pattern, cased = compiled
        pos = 0
        while (m := pattern.search(text, pos)) is not None:
            a = m.start()
            b = m.end() if not cased else _capitalised_end(m)
            if b is None:
                pos = m.start(1)  # not a name: look for the next honorific after this one
                continue
            pos = b
            if (a, b) not in seen:
                seen.add((a, b))
                flags.append(Flag(FlagKind.PERSONAL_NAME, source, a, b, text[a:b]))
    return flags


def _capitalised_end(m: re.Match[str]) -> int | None:
    """End of the capitalised words after the honorific, or None if the first is not."""
    b = None
    for word in _NAME_WORD.finditer(m.group(1)):
        token = word.group()
        if not token[0].isupper():
            break
        end = m.start(1) + word.end()
        if token.endswith("."):
            if len(token) == 2:  # an initial: "J."
                b = end
                continue
            return end - 1  # a full stop after the name ends the sentence
        b = end
    return b


# --------------------------------------------------------------------------------------------

def _screen_one(source: str, text: str, country: str, languages: Sequence[str], *, filename: bool) -> list[Flag]:
    if not text:
        return []
    link_text = text
    if filename:
        stem, dot, ext = text.rpartition(".")
        if dot and stem and ext and " " not in ext:
            link_text = stem  # the extension is not a top-level domain
    flags = _links(source, link_text)
    web = [(f.start, f.end) for f in flags]
    phones = [f for f in _phones(source, text, country) if not any(f.start < b and a < f.end for a, b in web)]
    flags += phones
    flags += _national_ids(source, text, web + [(f.start, f.end) for f in phones], filename=filename)
    flags += _names(source, text, languages)
    flags += _abusive(source, text, languages)
    return flags


def _languages(languages: Sequence[str]) -> list[str]:
    out: dict[str, None] = {}
    for code in [*languages, "en"]:
        if code and code.strip():
            out[_norm_lang(code)] = None
    return list(out)


def screen(
    text: str,
    filenames: Sequence[str] = (),
    *,
    country: str,
    languages: Sequence[str],
) -> list[Flag]:
    """Screen a response's text and its attachments' file names.

    ``country`` is the factory's ISO 3166 code (the phone-number region); ``languages`` are the
    country programme's languages (ISO 639-1, e.g. ``("fr", "ht")``); English is always added.
    Returns the flags ordered by source (text first, then file names in order) and position.
    """
    langs = _languages(languages)
    if isinstance(filenames, str):  # a lone name, not a sequence of characters
        filenames = (filenames,)
    flags = _screen_one("text", text or "", country, langs, filename=False)
    for i, name in enumerate(filenames):
        flags += _screen_one(f"filename:{i}", name or "", country, langs, filename=True)
    order = {kind: i for i, kind in enumerate(FlagKind)}

    def key(f: Flag) -> tuple[int, int, int, int]:
        src = -1 if f.source == "text" else int(f.source.split(":", 1)[1])
        return (src, f.start, -f.end, order[f.kind])

    return sorted(flags, key=key)


