"""One normal form for matching text, with a way back to the offsets of the text as written.

Screening matches patterns against the *normal form* but reports spans in the *original*
text, because the original is what is stored and what the moderator's screen highlights
(``workflows/responses.py`` stores the submitted text as submitted; rewriting it would change
what the supplier said, e.g. Khmer word separators or a fullwidth address that is evidence).

The normal form:

* Unicode NFKC: fullwidth and other compatibility forms become their plain letters
  (``ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ`` -> ``john@example.com``), no-break spaces become spaces,
  decomposed accents are composed.
* Invisible characters out: every format character (category Cf: zero-width space, joiners,
  word joiner, BOM, soft hyphen, bidirectional controls, tags), the combining grapheme joiner,
  variation selectors and Hangul fillers. One exception: a zero-width space *between two
  letters of a script written without spaces* (Khmer, Thai, Lao, Myanmar) is where a word
  ends, and becomes a space; deleting it would glue the words together.

Each character of the normal form maps back to the original characters it came from, so a
span ``[a, b)`` of the normal form is :meth:`Normalised.original_span` ``(a, b)`` of the
original: it covers whole original characters, and any invisible characters inside the match.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = ["Normalised", "normalise"]

_NO_SPACE_SCRIPTS = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x19E0, 0x19FF))
_ZWSP = "\u200b"
# Invisible, yet not category Cf.
_ALSO_INVISIBLE = frozenset("\u034f\u115f\u1160\u3164\uffa0") | frozenset(map(chr, range(0xFE00, 0xFE10)))


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf" or ch in _ALSO_INVISIBLE or 0xE0100 <= ord(ch) <= 0xE01EF


def _spaceless_letter(ch: str) -> bool:
    cp = ord(ch)
    return any(a <= cp <= b for a, b in _NO_SPACE_SCRIPTS)


@dataclass(frozen=True)
class Normalised:
    original: str
    text: str
    # For each character of `text`: where the original characters it came from start and end.
    # None when `text` is `original`.
    _starts: tuple[int, ...] | None = None
    _ends: tuple[int, ...] | None = None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that the normal form's ``[start, end)`` came from."""
        if self._starts is None or self._ends is None or start >= end:
            return start, end
        return self._starts[start], self._ends[end - 1]


def _visible(text: str) -> list[tuple[int, str]]:
    """(original index, character) of what is kept; separating zero-width spaces become spaces."""
    kept: list[tuple[int, str]] = []
    for i, ch in enumerate(text):
        if not _invisible(ch):
            kept.append((i, ch))
        elif (
            ch == _ZWSP and kept and _spaceless_letter(kept[-1][1])
            and i + 1 < len(text) and _spaceless_letter(text[i + 1])
        ):
            kept.append((i, " "))
    return kept


def normalise(text: str) -> Normalised:
    """``text`` in NFKC without invisible characters, mapped back to ``text``'s offsets."""
    if unicodedata.is_normalized("NFKC", text) and not any(_invisible(ch) for ch in text):
        return Normalised(text, text)
    kept = _visible(text)
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    k = 0
    while k < len(kept):
        # Grow a chunk while the next character changes how the chunk normalises (a combining
        # mark, a Hangul vowel after its consonant ...): chunks then normalise independently.
        chunk = kept[k][1]
        norm = unicodedata.normalize("NFKC", chunk)
        j = k + 1
        while j < len(kept):
            ch = kept[j][1]
            joined = unicodedata.normalize("NFKC", chunk + ch)
            if unicodedata.combining(ch) == 0 and joined == norm + unicodedata.normalize("NFKC", ch):
                break
            chunk, norm, j = chunk + ch, joined, j + 1
        a, b = kept[k][0], kept[j - 1][0] + 1
        pieces.append(norm)
        starts.extend([a] * len(norm))
        ends.extend([b] * len(norm))
        k = j
    return Normalised(text, "".join(pieces), tuple(starts), tuple(ends))
