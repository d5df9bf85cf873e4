"""What every screen shares: what a word character is, function words, language codes."""

from __future__ import annotations

import functools
import re
import unicodedata


def norm_lang(code: str) -> str:
    """The language of a code, as the word lists name it: "fr_HT", "FR-ht" -> "fr"."""
    return code.strip().replace("_", "-").split("-")[0].lower()


@functools.lru_cache(maxsize=1)
def word_char() -> str:
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


# Function words: never a label next to a spelled-out "dot", a mailbox before a spelled-out
# "at", or a name after a lower-case honorific ("mr and mrs Smith", "MR JOHN SMITH SAID").
FUNCTION_WORDS = frozenset(
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
