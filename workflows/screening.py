"""Automatic screening of supplier responses (text and attachment file names).

Screening *flags*; it never publishes, removes or blocks anything. Each flag names what was
found, where (``source`` is ``"text"`` or ``"filename:<i>"`` for the i-th attachment, with the
span as Python ``str`` indices into that source) and the matched text, so that a moderator can
see it and the queue can be ordered by :func:`severity`.

Normal form, and spans in the original
--------------------------------------
Every screen reads the text in one normal form, made once per text in :func:`_screen_one` by
``text_normal.normalise``: Unicode NFKC (fullwidth letters, no-break spaces, decomposed
accents) with zero-width and other invisible format characters taken out. Spans and matches
are mapped back to the *original* text, the one stored and shown to the moderator (the stored
text is what the supplier submitted, not its normal form: rewriting it would change the
evidence). So ``text[start:end] == match`` always holds for the stored text, and a span
covers any invisible characters inside the match. Offsets count Unicode code points (Python
``str`` indices); a JavaScript UI counts UTF-16 units and must convert for characters beyond
U+FFFF (emoji).

What is detected
----------------
* ``EMAIL``: e-mail addresses, as found by linkify-it-py (bare ``a@b.org`` and ``mailto:``),
  and disguised ones: ``x [at] gmail [dot] com``, ``x(at)gmail.com``, ``x{at}...``,
  ``x @ gmail.com``, ``x at gmail dot com`` (also in capitals, and with the factory
  languages' words: ``arroba``/``punto``, ``arobase``/``point``, ``titik``, ``a còng``/``chấm``).
* ``LINK``: URLs and bare domains such as ``example.com`` or ``www.example.org`` (linkify-it-py),
  and disguised ones: ``example[.]com``, ``example (dot) com``, ``example dot com``.
  A bracketed ``[at]``/``(dot)`` counts before any IANA top-level domain. A spelled-out
  `` at ``/`` dot `` is an ordinary word too, so it counts only before a short list of
  top-level domains (com, net, org, edu, gov, info, biz, io, co and the programme countries'
  and a few others' country codes) and not next to function words: "we met at the factory",
  "a dot matrix printer", "the dot com bubble", "a dot in the middle" and "visit us at
  example dot com" (a link, not an address) flag nothing more than what they are.
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
  English: ``Mr``, ``Mrs``, ``Ms``, ``Miss``, ``Dr``, ``Madam`` (en); ``M.``, ``Mme``, ``Mlle``,
  ``Dr``, ``Monsieur``, ``Madame``, ``Mademoiselle`` (fr); ``Sr``, ``Sra``, ``Srta``, ``Dr``,
  ``Dra``, ``Don``, ``Doña`` (es); ``Bapak``, ``Pak``, ``Ibu``, ``Bu``, ``Sdr``, ``Sdri`` (id);
  ``Anh``, ``Chị``, ``Ông``, ``Bà`` (vi); ``Msye``, ``Madan`` (ht); ``Lok``, ``Lok Srey``,
  ``Neak Srey`` (km, romanised) followed by one to four capitalised words.
  Letter case: most honorifics are also ordinary words in lower case (Vietnamese ``anh``,
  ``chị``, ``bà`` are pronouns and kinship words, ``miss`` a verb, ``ms`` milliseconds,
  ``madam``/``monsieur`` nouns, ``Lok`` also "he"), and in a text written in capitals every
  word looks capitalised. So only honorifics that are no ordinary word, ``Mr``, ``Mrs``,
  ``Mme``, ``Mlle``, ``Sra``, ``Srta``, ``Sdr``, ``Sdri``, are matched in any case, with the
  name in any case too (``MR JOHN SMITH``, ``mr john smith``: the words in the first word's
  case, up to a function word, at most three); the others need their listed form and a
  capitalised name. ``السيد``, ``السيدة``, ``الأستاذ``, ``الأستاذة`` (ar) and
  ``জনাব``, ``জনাবা``, ``বেগম``, ``শ্রী``, ``শ্রীমতী`` (bn) are followed by one word of the
  same script; ``លោក``, ``លោកស្រី``, ``អ្នកស្រី`` (km) by up to two runs of Khmer letters,
  with or without a space or zero-width space (Khmer is mostly written without spaces), not
  when what follows is a pronoun, verb marker or title (``លោកអ្នក``, ``លោក បាន``,
  ``លោកគ្រូ``); a name glued to the words after it runs to the next space or verb marker.
  **Bare names ("Nguyen Van An said ...") are not detected**: there is no named-entity model
  on the portal's machines.
* ``ABUSIVE_WORD``: entries of the per-language word lists in ``wordlists/{lang}.txt`` (see
  ``wordlists/ATTRIBUTION.md``), matched case-insensitively on word boundaries, for the factory
  country's languages plus English only (so French ``con`` is matched for a Haitian factory but
  not for a Vietnamese one). The lists are matched in the normal form, so decomposed
  Vietnamese diacritics and fullwidth letters match them. Khmer (``km``) and Haitian Creole
  (``ht``) lists are empty: no abusive words are detected in those languages yet.

What is not detected
--------------------
* Bare personal names, nicknames, initials on their own, addresses; names after an
  honorific that is also an ordinary word when the honorific or the name is not capitalised
  (``anh nguyễn``, ``ÔNG NGUYỄN``, ``dr smith``); a name in lower case or capitals that starts
  with a function word (``mr will smith``); a Khmer honorific glued to the word before it (no
  space or zero-width space: ``ជាមួយលោកសុខ``).
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
* Links and addresses with a top-level domain linkify-it-py does not know; disguises other
  than the ones above (``example d0t com``, ``example . com``, ``x at gmail`` without a
  top-level domain, a spelled-out ``dot`` before a top-level domain outside the short list),
  and disguised host names in non-Latin letters.
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
from dataclasses import dataclass, replace
from enum import Enum

import phonenumbers
from linkify_it import LinkifyIt
from linkify_it.tlds import TLDS

from .text_normal import Normalised, normalise

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
    """The entries of ``wordlists/{lang}.txt`` (normal form, lower case, no comments), or ()."""
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
        entry = " ".join(normalise(line).text.lower().split())  # the form screened texts take
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


def _abusive(source: str, text: str, languages: Sequence[str]) -> list[Flag]:
    flags: list[Flag] = []
    seen: set[tuple[int, int]] = set()
    for lang in languages:
        pattern = _wordlist_pattern(lang)
        if pattern is None:
            continue
        for m in pattern.finditer(text):
            if m.span() not in seen:
                seen.add(m.span())
                flags.append(Flag(FlagKind.ABUSIVE_WORD, source, *m.span(), m.group(), lang))
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


# Disguised addresses: "x at gmail dot com", "x[at]gmail[.]com", "example (dot) com".
# A bracketed "at"/"dot" is a disguise in any language and any top-level domain linkify-it-py
# knows (IANA's list) counts. A spelled-out " at " / " dot " is also an ordinary word, so it
# counts only in the factory's languages plus English, only between address-like words, and
# only before one of the top-level domains below; words such as "the" or "a" are no labels
# ("the dot com bubble", "a dot in the middle", "we met at the factory" are not addresses).
_AT_WORDS = {"en": ("at",), "es": ("arroba",), "fr": ("arobase",), "vi": ("a còng",)}
_DOT_WORDS = {"en": ("dot",), "es": ("punto",), "fr": ("point",), "id": ("titik",), "vi": ("chấm",)}
_SPELLED_TLDS = frozenset(
    "com net org edu gov info biz io co kh vn id bd jo ht ni uk fr cn jp kr sg th".split()
)
_IANA_TLDS = frozenset(t.lower() for t in TLDS)
# Function words: never a label next to a spelled-out "dot", a mailbox before a spelled-out
# "at", or a name after a lower-case honorific ("mr and mrs Smith", "MR JOHN SMITH SAID").
_FUNCTION_WORDS = frozenset(
    # en
    "a an the and or but nor of to in on at for from with by as into onto about after before "
    "during since until than then there here this that these those who whom whose which what "
    "when where while if so too very just only also not no yes all any each every some other "
    "same own more most i me my you your he him his she her it its we us our they them their "
    "is are was were be been being has have had do does did will would shall should can could "
    "may might must said says told asked wrote signed called came went left met visit see "
    # fr, es, id
    "le la les un une des du de au aux ce cet cette mon ton son ma ta sa et ou est dit qui que "
    "el los las una unos unas del al este esta ese esa mi tu su y es fue dijo quien "
    "dan atau yang di ke dari ini itu adalah sudah telah akan tidak".split()
)
_LABEL = r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
_OPEN, _CLOSE = r"[\[({<]", r"[\])}>]"


def _words_re(words: Iterable[str]) -> str:
    alternatives = [re.escape(w).replace(r"\ ", r"\s+") for w in sorted(set(words), key=len, reverse=True)]
    return "|".join(alternatives) or "(?!)"  # no words: never matches (an empty one would match anything)


@functools.lru_cache(maxsize=None)
def _disguise_patterns(languages: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """(e-mail pattern, domain pattern, separator splitter, spelled-out separator) for these languages."""
    all_at = _words_re(w for ws in _AT_WORDS.values() for w in ws)
    all_dot = _words_re(w for ws in _DOT_WORDS.values() for w in ws)
    spelled_at = _words_re(w for lang in languages for w in _AT_WORDS.get(lang, ()))
    spelled_dot = _words_re(w for lang in languages for w in _DOT_WORDS.get(lang, ()))
    dot_bracket = rf"\s*{_OPEN}\s*(?:\.|{all_dot})\s*{_CLOSE}\s*"
    dot_spelled = rf"\s+(?:{spelled_dot})\s+"
    dot = rf"(?:{dot_bracket}|{dot_spelled}|\.)"
    at = rf"(?:\s*{_OPEN}\s*(?:@|{all_at})\s*{_CLOSE}\s*|\s+(?:{spelled_at})\s+|\s*@\s*)"
    # Bounded repetitions keep each attempt short: without them a text of "a dot a dot ..."
    # costs time quadratic in its length.
    local = rf"[a-z0-9_%+\-]{{1,64}}(?:{dot}[a-z0-9_%+\-]{{1,64}}){{0,6}}"
    domain = rf"{_LABEL}(?:{dot}{_LABEL}){{1,6}}"
    edge = r"(?<![\w.@%+\-])"
    end = r"(?![\w\-])"
    flags = re.IGNORECASE
    return (
        re.compile(rf"{edge}(?P<local>{local})(?P<at>{at})(?P<domain>{domain}){end}", flags),
        re.compile(rf"{edge}{domain}{end}", flags),
        re.compile(rf"({dot})", flags),
        re.compile(rf"{dot_spelled}|\s+(?:{spelled_at})\s+", flags),
    )


def _domain_end(domain: str, splitter: re.Pattern[str], spelled: re.Pattern[str], *, disguised: bool) -> int | None:
    """Length of the longest prefix of ``domain`` that is a plausible disguised host name.

    ``disguised``: the "@" before it was already disguised, so plain dots are enough.
    """
    parts = splitter.split(domain)  # label, separator, label, ...
    offsets = [0]
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    for n in range(len(parts), 2, -2):  # drop trailing labels: "example dot com dot the"
        labels, separators = parts[0:n:2], parts[1:n:2]
        if not disguised and all(s == "." for s in separators):
            return None  # nothing disguised: linkify-it-py's job
        written = any(spelled.fullmatch(s) for s in separators)
        tld = labels[-1].lower()
        if tld not in (_SPELLED_TLDS if written else _IANA_TLDS):
            continue
        if written and any(label.lower() in _FUNCTION_WORDS for label in labels):
            continue
        return offsets[n]
    return None


def _disguised(source: str, text: str, languages: Sequence[str]) -> list[Flag]:
    email, domain, splitter, spelled = _disguise_patterns(tuple(languages))
    flags: list[Flag] = []
    for m in email.finditer(text):
        at = m.group("at")
        at_disguised = at != "@"
        if spelled.fullmatch(at) and m.group("local").lower() in _FUNCTION_WORDS:
            continue  # "visit us at example dot com": a link, found below
        length = _domain_end(m.group("domain"), splitter, spelled, disguised=at_disguised)
        if length is not None:
            a, b = m.start(), m.start("domain") + length
            flags.append(Flag(FlagKind.EMAIL, source, a, b, text[a:b]))
    for m in domain.finditer(text):
        if any(f.start < m.end() and m.start() < f.end for f in flags):
            continue
        length = _domain_end(m.group(), splitter, spelled, disguised=False)
        if length is not None:
            a, b = m.start(), m.start() + length
            flags.append(Flag(FlagKind.LINK, source, a, b, text[a:b]))
    return flags


def _addresses(source: str, text: str, languages: Sequence[str]) -> list[Flag]:
    """E-mail addresses and links, plain (linkify-it-py) or disguised; one flag per place."""
    disguised = _disguised(source, text, languages)
    plain = [f for f in _links(source, text) if not any(f.start < d.end and d.start < f.end for d in disguised)]
    return plain + disguised


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

# Honorifics written in a cased script, as listed: followed by 1-4 capitalised words. The
# lower-case forms listed (Vietnamese "anh", Indonesian "bapak", Spanish "don") are ordinary
# words too, so they also need a capitalised name after them.
_HONORIFICS_CASED: dict[str, tuple[str, ...]] = {
    "en": ("Mr", "Mrs", "Ms", "Miss", "Dr", "Madam"),
    "fr": ("M.", "Mme", "Mlle", "Dr", "Monsieur", "Madame", "Mademoiselle"),
    "es": ("Sr", "Sra", "Srta", "Dr", "Dra", "Don", "Doña", "don", "doña"),
    "id": ("Bapak", "Pak", "Ibu", "Bu", "Sdr", "Sdri", "bapak", "pak", "ibu", "bu"),
    "vi": ("Anh", "Chị", "Ông", "Bà", "anh", "chị", "ông", "bà"),
    "ht": ("Msye", "Madan"),
    "km": ("Lok Srey", "Neak Srey", "Lok"),  # romanised លោកស្រី, អ្នកស្រី, លោក
}
# Honorifics that are no ordinary word in any of the portal's languages, so they are matched
# in any case ("MR", "mr") and the name after them may be in any case ("mr john smith",
# "MR JOHN SMITH"). Not here, because they are also ordinary words or abbreviations: Miss
# (a verb), Ms and Dr ("200 ms", "MS Office", "DR Congo"), Sr ("SR engineer"), Madam, Madame,
# Monsieur ("thank you madam for ...", "un monsieur âgé"), the Vietnamese, Indonesian,
# Haitian and Khmer ones (pronouns and kinship words: "anh ấy", "bà con", "bapak saya",
# "Lok" for "he").
_HONORIFICS_ANY_CASE: dict[str, tuple[str, ...]] = {
    "en": ("Mr", "Mrs"),
    "fr": ("Mme", "Mlle"),
    "es": ("Sra", "Srta"),
    "id": ("Sdr", "Sdri"),
}
# Honorifics in uncased scripts: followed by one word of the same script.
_HONORIFICS_UNCASED: dict[str, tuple[tuple[str, ...], str]] = {
    "ar": (("السيد", "السيدة", "الأستاذ", "الأستاذة"), "\u0600-\u06ff"),
    "bn": (("জনাব", "জনাবা", "বেগম", "শ্রীমতী", "শ্রী"), "\u0980-\u09ff"),
}
_ABBREVIATIONS = {"Mr", "Mrs", "Ms", "Dr", "Dra", "Sr", "Sra", "Srta", "Mme", "Mlle", "Sdr", "Sdri"}
_SPACE = r"[ \t\u00a0]+"


def _honorific_re(h: str) -> str:
    return re.escape(h).replace(r"\ ", _SPACE) + (r"\.?" if h in _ABBREVIATIONS else "")


@functools.lru_cache(maxsize=None)
def _name_pattern(lang: str) -> tuple[re.Pattern[str], bool] | None:
    w = _word_char()
    if lang in _HONORIFICS_CASED:
        listed = [_honorific_re(h) for h in sorted(_HONORIFICS_CASED[lang], key=len, reverse=True)]
        any_case = [_honorific_re(h) for h in sorted(_HONORIFICS_ANY_CASE.get(lang, ()), key=len, reverse=True)]
        alts = "|".join([f"(?i:{'|'.join(any_case)})"] * bool(any_case) + listed)
        word = rf"[^\W\d_]{w}*(?:['’\-]{w}+)*\.?"
        # Honorific, then up to four words; which of them belong to the name is checked afterwards.
        pattern = re.compile(rf"(?<!{w})(?:{alts})(?!{w})((?:{_SPACE}{word}){{1,4}})")
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
        spans = _khmer_names(text) if lang == "km" else []
        compiled = _name_pattern(lang)
        if compiled is not None:
            spans += _honorific_names(text, *compiled, _any_case_honorifics(lang))
        for a, b in spans:
            if (a, b) not in seen:
                seen.add((a, b))
                flags.append(Flag(FlagKind.PERSONAL_NAME, source, a, b, text[a:b]))
    return flags


@functools.lru_cache(maxsize=None)
def _any_case_honorifics(lang: str) -> frozenset[str]:
    return frozenset(h.casefold() for h in _HONORIFICS_ANY_CASE.get(lang, ()))


def _honorific_names(
    text: str, pattern: re.Pattern[str], cased: bool, any_case: frozenset[str]
) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    while (m := pattern.search(text, pos)) is not None:
        a = m.start()
        if not cased:
            b: int | None = m.end()
        else:
            honorific = text[a:m.start(1)].rstrip(".").casefold()
            b = _name_end(m, any_case=honorific in any_case)
        if b is None:
            pos = m.start(1)  # not a name: look for the next honorific after this one
            continue
        pos = b
        spans.append((a, b))
    return spans


def _name_end(m: re.Match[str], *, any_case: bool) -> int | None:
    """End of the name after the honorific, or None if there is none.

    After a listed honorific: the capitalised words. After one of ``_HONORIFICS_ANY_CASE``:
    the words written in the case of the first (in lower case or capitals: at most three, up to
    a function word), so "mr john smith said" and "MR JOHN SMITH SAID" give "... john smith".
    """
    b = None
    lower: bool | None = None
    for count, word in enumerate(_NAME_WORD.finditer(m.group(1))):
        token = word.group()
        if any_case:
            if lower is None:
                lower = token[0].islower()
            # Case tells where a capitalised name ends ("Mr Will Smith"), not in lower case or
            # capitals: there a function word ends it ("mme dupont a dit"), or a fourth word.
            # An initial ("A.", "J") is no function word.
            caseless = token.islower() or token.isupper()
            initial = len(token.rstrip(".")) == 1 and (token.endswith(".") or token.isupper())
            if caseless and not initial and token.rstrip(".").casefold() in _FUNCTION_WORDS:
                break
            if token[0].islower() != lower or (caseless and count == 3):
                break
        elif not token[0].isupper():
            break
        end = m.start(1) + word.end()
        if token.endswith("."):
            if len(token) == 2:  # an initial: "J."
                b = end
                continue
            return end - 1  # a full stop after the name ends the sentence
        b = end
    return b


# Khmer script has no case and is mostly written without spaces between words; a zero-width
# space, where used, separates words (see text_normal). លោក and លោកស្រី are also pronouns
# ("he", "you") and begin titles: not a name when what follows begins with one of these
# (អ្នក "you", បាន/នឹង/មិន/ត្រូវ verb markers, គ្រូ "teacher", ប្រធាន "chair", ...). A name
# glued to the following words runs to the next space or to one of the verb markers.
_KHMER = "\u1780-\u17ff\u19e0-\u19ff"
_KHMER_LETTERS = "\u1780-\u17d3\u17d7\u17dc\u17dd"  # no punctuation (។), currency or digits
_KHMER_NAME = re.compile(
    rf"(?<![\w{_KHMER}])(?:លោក[ \t]*ស្រី|អ្នកស្រី|លោក)[ \t]*"
    rf"(?=[\u1780-\u17b3])([{_KHMER_LETTERS}]+)(?:([ \t]+)([{_KHMER_LETTERS}]+))?"
)
_KHMER_NOT_NAME = ("អ្នក", "បាន", "នឹង", "មិន", "ត្រូវ", "ក៏", "គឺ", "ថា", "ទាំង", "គ្រូ", "ប្រធាន", "នាយក", "ជំទាវ")
_KHMER_VERB_MARKERS = re.compile("បាន|នឹង|មិន|ត្រូវ")


def _khmer_name_part(part: str) -> int:
    """How much of a run of Khmer letters after an honorific is name: 0 for none."""
    if part.startswith(_KHMER_NOT_NAME):
        return 0
    marker = _KHMER_VERB_MARKERS.search(part, 1)
    return marker.start() if marker else len(part)


def _khmer_names(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _KHMER_NAME.finditer(text):
        first = _khmer_name_part(m.group(1))
        if not first:
            continue
        b = m.start(1) + first
        if first == len(m.group(1)) and m.group(3) and (second := _khmer_name_part(m.group(3))):
            b = m.start(3) + second
        spans.append((m.start(), b))
    return spans


# --------------------------------------------------------------------------------------------

def _screen_one(source: str, text: str, country: str, languages: Sequence[str], *, filename: bool) -> list[Flag]:
    """Flags for one text, found in its normal form (``text_normal``) and placed in ``text``."""
    if not text:
        return []
    normal = normalise(text)
    return [_in_original(f, normal) for f in _screen_normal(source, normal.text, country, languages, filename=filename)]


def _in_original(flag: Flag, normal: Normalised) -> Flag:
    a, b = normal.original_span(flag.start, flag.end)
    return replace(flag, start=a, end=b, match=normal.original[a:b])


def _screen_normal(source: str, text: str, country: str, languages: Sequence[str], *, filename: bool) -> list[Flag]:
    link_text = text
    if filename:
        stem, dot, ext = text.rpartition(".")
        if dot and stem and ext and " " not in ext:
            link_text = stem  # the extension is not a top-level domain
    flags = _addresses(source, link_text, languages)
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


