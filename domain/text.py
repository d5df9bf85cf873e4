"""Search keys for names: case- and accent-insensitive, script kept."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """'Dệt May Sông' and 'det may song' fold to the same key.

    Combining marks are dropped after compatibility decomposition, so Latin accents go while
    other scripts keep their base letters (Khmer or Bengali vowel signs are combining marks
    too, which is acceptable for a search key: both sides fold the same way).
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().replace("đ", "d").split())
