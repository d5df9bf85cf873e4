"""What screening finds: the kinds of flag, one flag, and the severity that orders the queue.

Severity (for ordering the moderation queue; a higher number is looked at first):

=====================================  =====
ABUSIVE_WORD, NATIONAL_ID              3
PHONE, EMAIL, PERSONAL_NAME            2
LINK                                   1
no flag                                0
=====================================  =====
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


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
