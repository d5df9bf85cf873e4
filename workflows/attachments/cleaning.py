"""Cleaning a file: what it is, judged from its bytes, then rebuilt; at most a few at once.

`clean(data, filename)` decides what a file is from its bytes alone (`filetype`; the name never
counts) and accepts JPEG, PNG, WebP and PDF only. What it returns is a rebuilt file, never the
upload: an image rebuilt from its pixels (`images.py`), a PDF with only what draws its pages
(`pdfs.py`).

`clean` is CPU-bound and synchronous, and one cleaning takes up to ~140 MB (an image at its
budget, or a PDF at its object limit): call `clean_in_turn`, which runs it on a process-wide pool
of `PORTAL_MAX_DECODES` threads (2 by default), so at most that many files are cleaned at once
and the rest wait their turn without holding a thread or any decoded memory.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from concurrent.futures import ThreadPoolExecutor

import filetype

from .files import (
    ALLOWED,
    ALLOWED_NAMES,
    AttachmentRefused,
    CleanFile,
    sanitize_filename,
)
from .images import clean_image

# filetype names animated PNGs "image/apng"; they are PNGs (their first frame is kept).
_SNIFFED_AS = {"image/apng": "image/png"}
_PILLOW_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def clean(data: bytes, filename: str) -> CleanFile:
    """Sniff `data` by its bytes, then return a rebuilt copy without metadata.

    Raises `AttachmentRefused` (reason "type", "damaged", "too_large" or "encrypted"); call
    it through `clean_in_turn`.
    """
    name = sanitize_filename(filename)
    kind = filetype.guess(data) if data else None
    content_type = kind.mime if kind is not None else None
    content_type = _SNIFFED_AS.get(content_type, content_type)
    if content_type not in ALLOWED:
        raise AttachmentRefused(
            f"{name}: this type of file is not accepted; attach a {ALLOWED_NAMES} file.",
            filename=name,
            reason="type",
        )
    if content_type == "application/pdf":
        from .pdfs import clean_pdf  # pypdf (13 MB) is loaded by the first PDF, not by every server

        content = clean_pdf(data, name)
    else:
        content = clean_image(data, name, _PILLOW_FORMAT[content_type])
    return CleanFile(
        content=content,
        content_type=content_type,
        extension=ALLOWED[content_type],
        sha256=hashlib.sha256(content).hexdigest(),
        original_name=name,
    )


@functools.cache
def _decoders(at_once: int) -> ThreadPoolExecutor:
    # One pool per configured size, for the life of the process (a server has one size).
    return ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="portal-clean")


async def clean_in_turn(data: bytes, filename: str, *, at_once: int) -> CleanFile:
    """`clean`, off the event loop, at most `at_once` at a time in this process.

    The pool's threads are the only ones that clean: a file waiting its turn holds no thread
    and no pixels, and one whose request is gone before its turn is never decoded.
    """
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_decoders(at_once), clean, data, filename)
