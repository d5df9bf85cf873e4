"""Attachments of supplier responses: sniff, clean and store the files themselves.

`clean(data, filename)` decides what a file is from its bytes alone (`filetype`; the name never
counts) and accepts JPEG, PNG, WebP and PDF only. What it returns is a rebuilt file, never the
upload:

- Images are decoded with Pillow, turned upright by their EXIF orientation, then rebuilt from
  their pixels into a fresh image that has no `info` at all, and saved in the sniffed format.
  So no EXIF (GPS, camera, serial numbers), XMP, JPEG comment, ICC profile, PNG text chunk
  (tEXt/zTXt/iTXt), eXIf chunk or dpi survives. Only pixel semantics are carried over: the
  palette of a palette image and PNG transparency (tRNS). Animated images (APNG, animated
  WebP, multi-picture JPEG) keep their first frame only. A decoded image larger than
  `MAX_IMAGE_PIXELS` is refused before its pixels are decoded.
- PDFs are read with pypdf, encrypted ones are refused, and their pages are copied into a new
  document that has no document information dictionary (/Info: author, producer, dates...), no
  XMP stream in the catalog, and no /Metadata or /PieceInfo on the pages. Only the pages come
  across: outlines, document JavaScript, embedded files and forms in the catalog are dropped.

`clean` is CPU-bound and synchronous: run it in a worker thread (`asyncio.to_thread`).

`FileStore` writes cleaned files under a root folder (`PORTAL_STORAGE_DIR`), content-addressed
by the SHA-256 of the cleaned bytes: `root/ab/cd/<sha256><ext>`. A write goes to a temporary file
in the target folder, is flushed and fsynced, then renamed over the final name, so a reader never
sees a half-written file (a process killed mid-write leaves only the temporary file, which
`sweep_temporary` removes at the next start). Identical content is stored once (`put` returns
created=False and does not rewrite it). A request whose transaction fails calls `discard` with
the paths it created, so that no file is left without a row.

Caveat for callers: content addressing means two requests can share one file. If request A
created a file and fails while request B, which found it already there, commits, discarding A's
path removes B's file. Callers should re-check, inside or after the failed transaction, that no
committed row references the hash before discarding (or leave orphans to a periodic sweep).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
import secrets
import time
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import aiofiles
import aiofiles.os
import filetype
from PIL import Image, ImageOps
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from ..domain.errors import BadUserInput

ALLOWED: dict[str, str] = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}
ALLOWED_NAMES = "JPEG, PNG, WebP or PDF"

# Pillow refuses (DecompressionBombError) above twice this and warns above it; the warning is
# turned into a refusal below, and the size is also checked explicitly, since warning filters
# are process-wide and not reliable when several threads clean at once.
MAX_IMAGE_PIXELS = 60_000_000
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

MAX_NAME_LENGTH = 200

# filetype names animated PNGs "image/apng"; they are PNGs (their first frame is kept).
_SNIFFED_AS = {"image/apng": "image/png"}
_PILLOW_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# Modes each format is saved in as they are; any other mode is converted first.
_SAVABLE_MODES = {
    "JPEG": {"L", "RGB", "CMYK"},
    "PNG": {"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"},
    "WEBP": {"RGB", "RGBA"},
}
_SAVE_OPTIONS = {
    "JPEG": {"quality": 90, "optimize": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 90},
}
_HEX64 = re.compile(r"[0-9a-f]{64}")
# What `FileStore.put` writes before the rename: `.<sha256>.<random>.tmp`.
_TEMPORARY = re.compile(r"\.[0-9a-f]{64}\.[0-9a-f]{16}\.tmp")
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


def clean(data: bytes, filename: str) -> CleanFile:
    """Sniff `data` by its bytes, then return a rebuilt copy without metadata.

    Raises `AttachmentRefused` (reason "type", "damaged", "too_large" or "encrypted").
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
        content = _clean_pdf(data, name)
    else:
        content = _clean_image(data, name, _PILLOW_FORMAT[content_type])
    return CleanFile(
        content=content,
        content_type=content_type,
        extension=ALLOWED[content_type],
        sha256=hashlib.sha256(content).hexdigest(),
        original_name=name,
    )


def _damaged(name: str, what: str) -> AttachmentRefused:
    return AttachmentRefused(
        f"{name}: the {what} could not be read; it may be damaged or incomplete.",
        filename=name,
        reason="damaged",
    )


def _too_many_pixels(name: str) -> AttachmentRefused:
    return AttachmentRefused(
        f"{name}: the image is too large (at most {MAX_IMAGE_PIXELS:,} pixels).",
        filename=name,
        reason="too_large",
    )


def _clean_image(data: bytes, name: str, fmt: str) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as img:
                width, height = img.size
                if width <= 0 or height <= 0 or width * height > MAX_IMAGE_PIXELS:
                    raise _too_many_pixels(name)
                img.seek(0)  # animated images: the first frame only
                img.load()
                try:
                    upright = ImageOps.exif_transpose(img)
                except Exception:  # unreadable EXIF: keep the pixels as they are
                    upright = img
                transparency = upright.info.get("transparency")
                pixels = _savable(upright, fmt)
                if pixels is not upright:
                    transparency = None  # the conversion applied it to the pixels already
                rebuilt = _rebuild(pixels)
    except AttachmentRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name) from None
    except Exception:  # anything Pillow raises on bytes it cannot decode
        raise _damaged(name, "image") from None

    options = dict(_SAVE_OPTIONS[fmt])
    if fmt == "PNG" and transparency is not None:
        options["transparency"] = transparency  # tRNS is pixel data, not metadata
    out = io.BytesIO()
    rebuilt.save(out, fmt, **options)
    return out.getvalue()


def _savable(img: Image.Image, fmt: str) -> Image.Image:
    """`img`, converted when `fmt` cannot save its mode (alpha kept where the format has it)."""
    if img.mode in _SAVABLE_MODES[fmt]:
        if img.mode == "P" and img.palette is not None and img.palette.mode != "RGB":
            return img.convert("RGBA")  # an RGBA palette: keep its alpha in the pixels
        return img
    has_alpha = "A" in img.getbands() or "transparency" in img.info
    if fmt == "JPEG":  # no alpha in JPEG
        grey = img.mode in {"1", "LA", "I", "F"} or img.mode.startswith("I;")
        return img.convert("L" if grey else "RGB")
    if fmt == "PNG":
        if img.mode.startswith("I;"):
            return img.convert("I")
        return img.convert("RGBA" if has_alpha else "RGB")
    return img.convert("RGBA" if has_alpha else "RGB")  # WebP


def _rebuild(img: Image.Image) -> Image.Image:
    """A new image made of `img`'s pixels (and palette) only: its `info` stays behind."""
    fresh = Image.frombytes(img.mode, img.size, img.tobytes())
    if img.mode == "P":
        fresh.putpalette(img.getpalette("RGB") or [], "RGB")
    return fresh


def _clean_pdf(data: bytes, name: str) -> bytes:
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except Exception:
        raise _damaged(name, "PDF") from None
    if encrypted:
        raise AttachmentRefused(
            f"{name}: the PDF is encrypted or password-protected; attach an unprotected copy.",
            filename=name,
            reason="encrypted",
        )
    try:
        pages = list(reader.pages)
        if not pages:
            raise ValueError("no pages")
        writer = PdfWriter()
        writer.pdf_header = reader.pdf_header  # keep the declared version (e.g. %PDF-1.7)
        for page in pages:
            _strip_metadata(page)
            writer.add_page(page)
        writer.metadata = None  # no /Info at all (not even pypdf's /Producer)
        writer.xmp_metadata = None  # no /Metadata in the catalog
        # Drop whatever is no longer referenced (the emptied /Info, anything left behind).
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
        out = io.BytesIO()
        writer.write(out)
    except Exception:
        raise _damaged(name, "PDF") from None
    return out.getvalue()


_METADATA_KEYS = (NameObject("/Metadata"), NameObject("/PieceInfo"))


def _strip_metadata(page: DictionaryObject) -> None:
    """Remove XMP streams and private application data from `page` and what it references.

    XMP can sit on a page, on an image or form XObject, a font descriptor or an annotation;
    this walks the page's objects (not its /Parent, which leads to the other pages) and
    deletes /Metadata and /PieceInfo wherever they are, before the page is copied.
    """
    seen: set[int] = set()
    todo: list[object] = [page]
    while todo:
        obj = todo.pop()
        if isinstance(obj, IndirectObject):
            obj = obj.get_object()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, DictionaryObject):  # streams are dictionaries too
            for key in _METADATA_KEYS:
                if key in obj:
                    del obj[key]
            todo.extend(value for key, value in obj.items() if key != "/Parent")
        elif isinstance(obj, ArrayObject):
            todo.extend(obj)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (best effort: not every platform can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class FileStore:
    """Cleaned files under `root`, named by the SHA-256 of their content."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str, extension: str) -> Path:
        if not _HEX64.fullmatch(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        if extension not in ALLOWED.values():
            raise ValueError(f"not an attachment extension: {extension!r}")
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}{extension}"

    async def put(self, file: CleanFile) -> tuple[Path, bool]:
        """Store `file`; returns its path and whether this call created it."""
        path = self.path_for(file.sha256, file.extension)
        if await aiofiles.os.path.exists(path):
            return path, False
        await aiofiles.os.makedirs(path.parent, exist_ok=True)
        temp = path.with_name(f".{file.sha256}.{secrets.token_hex(8)}.tmp")
        try:
            async with aiofiles.open(temp, "xb") as out:
                await out.write(file.content)
                await out.flush()
                await asyncio.to_thread(os.fsync, out.fileno())
            await aiofiles.os.replace(temp, path)
            await asyncio.to_thread(_fsync_folder, path.parent)
        except BaseException:
            try:
                await aiofiles.os.remove(temp)
            except FileNotFoundError:
                pass
            raise
        return path, True

    async def discard(self, paths: Iterable[Path]) -> None:
        """Remove files this request created (after its transaction failed)."""
        root = self.root.resolve()
        for path in paths:
            path = Path(path)
            if not path.resolve().is_relative_to(root):
                raise ValueError(f"not a stored attachment: {path}")
            try:
                await aiofiles.os.remove(path)
            except FileNotFoundError:
                pass

    async def sweep_temporary(self, older_than: float = 600.0) -> list[Path]:
        """Remove the temporary files of `put`s that never finished (a killed process); call it
        at startup. Only files named like `put`'s temporaries and older than `older_than`
        seconds go, so a `put` in progress in another server process sharing the folder is
        left alone (a `put` takes milliseconds). Returns the removed paths."""
        return await asyncio.to_thread(self._sweep_temporary, older_than)

    def _sweep_temporary(self, older_than: float) -> list[Path]:
        removed: list[Path] = []
        if not self.root.is_dir():
            return removed
        cutoff = time.time() - older_than
        for folder, _subfolders, names in os.walk(self.root):
            for name in names:
                if not _TEMPORARY.fullmatch(name):
                    continue
                path = Path(folder) / name
                try:
                    if path.lstat().st_mtime <= cutoff:
                        path.unlink()
                        removed.append(path)
                except FileNotFoundError:
                    pass
        return removed

    async def read(self, sha256: str, extension: str) -> bytes:
        """The stored bytes; FileNotFoundError when nothing is stored under that hash."""
        async with aiofiles.open(self.path_for(sha256, extension), "rb") as stored:
            return await stored.read()
