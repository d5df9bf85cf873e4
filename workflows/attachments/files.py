"""What an attachment is: the accepted types, the cleaned file, a refusal, the uploaded name."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ...domain.errors import BadUserInput

ALLOWED: dict[str, str] = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}
ALLOWED_NAMES = "JPEG, PNG, WebP or PDF"

MAX_NAME_LENGTH = 200

# Invisible characters that change how a name reads (e.g. "photo\u202egpj.exe").
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class AttachmentRefused(BadUserInput):
    """An attachment that is not accepted; `details` carry `filename` and `reason`."""

    def __init__(self, message: str, *, filename: str, reason: str) -> None:
        super().__init__(message, filename=filename, reason=reason)
        self.filename = filename
        self.reason = reason


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    content_type: str
    extension: str
    sha256: str
    original_name: str

    @property
    def size(self) -> int:
        return len(self.content)


def sanitize_filename(filename: str) -> str:
    """The uploaded name for screening only: basename, no control characters, at most 200."""
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(
        ch
        for ch in name
        if unicodedata.category(ch) != "Cc" and ch not in _BIDI_CONTROLS
    )
    name = name.strip()
    if name in {"", ".", ".."}:
        name = "attachment"
    return name[:MAX_NAME_LENGTH]


def damaged(name: str, what: str) -> AttachmentRefused:
    return AttachmentRefused(
        f"{name}: the {what} could not be read; it may be damaged or incomplete.",
        filename=name,
        reason="damaged",
    )
