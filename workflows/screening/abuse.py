"""Abusive words, from the per-language word lists.

* ``ABUSIVE_WORD``: entries of the per-language word lists in ``workflows/wordlists/{lang}.txt``
  (see ``wordlists/ATTRIBUTION.md``), matched case-insensitively on word boundaries, for the
  factory country's languages plus English only (so French ``con`` is matched for a Haitian
  factory but not for a Vietnamese one). The lists are matched in the normal form, so decomposed
  Vietnamese diacritics and fullwidth letters match them. Khmer (``km``) and Haitian Creole
  (``ht``) lists are empty: no abusive words are detected in those languages yet.

Not detected:

* Abusive words shorter than three letters in Latin script (dropped from the lists as too
  ambiguous, e.g. Vietnamese ``đụ`` alone; longer phrases containing them are listed), and
  unaccented Vietnamese spellings that are also ordinary words typed without diacritics.
* Abusive language that is not on a list: misspellings and obfuscations (``f*ck``), words glued
  to other words, Arabic words with attached prefixes (``وال...``), Arabizi (Arabic in Latin
  letters), insults made of ordinary words, threats, defamation, hate speech without slurs,
  and anything in Khmer or Haitian Creole. Scripts written without spaces between words (Khmer,
  Thai) cannot be matched on word boundaries.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Sequence

from .flags import Flag, FlagKind
from .normal import normalise
from .words import norm_lang, word_char

#: Languages that have a word-list file (km and ht exist but are empty).
WORDLIST_LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "id", "vi", "ar", "bn", "km", "ht")


@functools.lru_cache(maxsize=None)
def load_wordlist(lang: str) -> tuple[str, ...]:
    """The entries of ``wordlists/{lang}.txt`` (normal form, lower case, no comments), or ()."""
    lang = norm_lang(lang)
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


@functools.lru_cache(maxsize=None)
def _wordlist_pattern(lang: str) -> re.Pattern[str] | None:
    entries = load_wordlist(lang)
    if not entries:
        return None
    w = word_char()
    alternatives = [
        r"\s+".join(re.escape(part) for part in entry.split(" "))
        for entry in sorted(entries, key=lambda e: (-len(e), e))
    ]
    return re.compile(rf"(?<!{w})(?:{'|'.join(alternatives)})(?!{w})", re.IGNORECASE)


def find_abusive(source: str, text: str, languages: Sequence[str]) -> list[Flag]:
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
