"""E-mail addresses and links, written plainly or disguised.

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

Not detected:

* Links and addresses with a top-level domain linkify-it-py does not know; disguises other
  than the ones above (``example d0t com``, ``example . com``, ``x at gmail`` without a
  top-level domain, a spelled-out ``dot`` before a top-level domain outside the short list),
  and disguised host names in non-Latin letters.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

from linkify_it import LinkifyIt
from linkify_it.tlds import TLDS

from .flags import Flag, FlagKind
from .words import FUNCTION_WORDS


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
        if written and any(label.lower() in FUNCTION_WORDS for label in labels):
            continue
        return offsets[n]
    return None


def _disguised(source: str, text: str, languages: Sequence[str]) -> list[Flag]:
    email, domain, splitter, spelled = _disguise_patterns(tuple(languages))
    flags: list[Flag] = []
    for m in email.finditer(text):
        at = m.group("at")
        at_disguised = at != "@"
        if spelled.fullmatch(at) and m.group("local").lower() in FUNCTION_WORDS:
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


def find_addresses(source: str, text: str, languages: Sequence[str]) -> list[Flag]:
    """E-mail addresses and links, plain (linkify-it-py) or disguised; one flag per place."""
    disguised = _disguised(source, text, languages)
    plain = [f for f in _links(source, text) if not any(f.start < d.end and d.start < f.end for d in disguised)]
    return plain + disguised
