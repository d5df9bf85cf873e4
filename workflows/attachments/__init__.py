"""Attachments of supplier responses: sniff, clean and store the files themselves.

Where each part lives:

- `cleaning.py`: `clean` (what a file is, from its bytes alone; JPEG, PNG, WebP and PDF only)
  and `clean_in_turn` (at most `PORTAL_MAX_DECODES` cleanings at once per process).
- `images.py`: images rebuilt from their pixels, no metadata, memory bounded from the header.
- `pdfs.py`: PDFs copied page by page with only what draws them.
- `files.py`: the accepted types, `CleanFile`, `AttachmentRefused`, the uploaded name.
- `sweep.py`: `portal attachments sweep` and `check`, objects without rows and rows without objects.

Where the cleaned files are kept (a folder or an S3 bucket) is `storage/objects/`.
"""

from .cleaning import clean, clean_in_turn
from .files import (
    ALLOWED,
    ALLOWED_NAMES,
    MAX_NAME_LENGTH,
    AttachmentRefused,
    CleanFile,
    sanitize_filename,
)
from .images import MAX_DECODED_BYTES, MAX_IMAGE_PIXELS

__all__ = [
    "ALLOWED",
    "ALLOWED_NAMES",
    "MAX_DECODED_BYTES",
    "MAX_IMAGE_PIXELS",
    "MAX_NAME_LENGTH",
    "AttachmentRefused",
    "CleanFile",
    "clean",
    "clean_in_turn",
    "sanitize_filename",
]
