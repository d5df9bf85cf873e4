"""Attachments of supplier responses: sniff, clean and store the files themselves.

`clean(data, filename)` decides what a file is from its bytes alone (`filetype`; the name never
counts) and accepts JPEG, PNG, WebP and PDF only. What it returns is a rebuilt file, never the
upload:

- Images are decoded with Pillow, turned upright by their EXIF orientation, then rebuilt from
  their pixels into a fresh image that has no `info` at all, and saved in the sniffed format.
  So no EXIF (GPS, camera, serial numbers), XMP, JPEG comment, ICC profile, PNG text chunk
  (tEXt/zTXt/iTXt), eXIf chunk or dpi survives. Only pixel semantics are carried over: the
  palette of a palette image and PNG transparency (tRNS). Animated images (APNG, animated
  WebP, multi-picture JPEG) keep their first frame only.
- Memory is bounded before any pixel is decoded, from the header alone (Pillow reads it
  lazily): width x height x the bytes per pixel Pillow stores for the decoded mode, or for the
  mode it is saved in when that is wider (a palette image may become RGBA), must fit in
  `MAX_DECODED_BYTES` (64 MiB: 16.7 megapixels of RGB or RGBA, which Pillow both stores in 4
  bytes). A JPEG above it is decoded at 1/2, 1/4 or 1/8 of its size (DCT scaling,
  `Image.draft`), so a 48-megapixel phone photo is kept at 12 megapixels; a PNG or WebP above it
  is refused ("too_large"). The cleaning keeps at most two copies of the pixels alive at once
  (the decoded one and the rebuilt one: orientation is applied in place, a converted image
  releases the decoded one), so one decode peaks at about 2 x 64 MiB = 128 MiB plus the
  encoder's buffers; `MAX_IMAGE_PIXELS` (60 million) still bounds the header. Why 64 MiB: it
  keeps ordinary photos (12 MP: 48 MiB) at full size, and with two decodes at once (the
  default) a process's cleaning stays under about 280 MB, measured by
  `bench/decode_memory.py`.
- PDFs are read with pypdf, encrypted ones are refused, and each page is copied into a new
  document with only what draws it: `/Contents`, `/Resources`, `/MediaBox`, `/CropBox`, `/Rotate`,
  `/UserUnit` and `/Group` (transparency). Everything else on a page is left behind, among it
  `/Annots` (links, file attachments, widgets, sound, movie, screen, rich media and 3D
  annotations: where actions and embedded files live), `/AA` (page open/close actions),
  `/Metadata`, `/PieceInfo`, thumbnails, transitions and the structure tree's keys. What the
  kept entries reach (fonts, images, form XObjects, patterns...) is walked too: any action
  (`/A`, `/AA`, `/OpenAction`, `/JS`), name tree, file specification or embedded file, form or
  XFA (`/AcroForm`, `/XFA`), annotation, reference to another file (`/Ref`, `/OPI`), page-tree
  object smuggled into a resource, PostScript XObject, `/Metadata` and `/PieceInfo` is removed.
  The new document has nothing in its catalog but its pages: no /Info, no XMP, no outlines, no
  document JavaScript (`/Names`), no `/OpenAction`, no forms, no embedded files. The price:
  clickable links, comments, stamps and filled-in form fields do not come across (flatten or
  print to PDF to keep what they show). Rasterising the pages instead was not chosen: it needs a
  full PDF renderer parsing untrusted input in the server, and turns text into pictures (no
  search, copy or screen reader) at many times the size; copying the drawing operators keeps
  the text, and a page's content stream cannot run anything by itself. A PDF that declares more
  than `MAX_PDF_OBJECTS` (35,000) objects is refused ("too_large") before any is parsed: pypdf's
  memory grows with their number, and this keeps a PDF's cleaning within an image's budget.

`clean` is CPU-bound and synchronous, and one cleaning takes up to ~140 MB (an image at its
budget, or a PDF at its object limit): call `clean_in_turn`, which runs it on a process-wide pool
of `PORTAL_MAX_DECODES` threads (2 by default), so at most that many files are cleaned at once
and the rest wait their turn without holding a thread or any decoded memory.

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
import functools
import hashlib
import io
import os
import re
import secrets
import time
import unicodedata
import warnings
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import aiofiles
import aiofiles.os
import filetype
from PIL import Image, ImageOps
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NullObject

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
# Pixels one decode may hold (see the module docstring: a second copy is made while cleaning).
MAX_DECODED_BYTES = 64 * 1024 * 1024
# JPEG's DCT can decode at these fractions of the size, for that fraction squared of the memory.
_JPEG_SCALES = (2, 4, 8)
# Objects a PDF may declare: pypdf holds each parsed object and its copy (3-4 KB together), so
# a PDF at the limit costs about what an image at MAX_DECODED_BYTES does, some 120 MB
# (bench/decode_memory.py); a 500-page report has a few thousand objects.
MAX_PDF_OBJECTS = 35_000

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


def _too_much_memory(name: str) -> AttachmentRefused:
    return AttachmentRefused(
        f"{name}: the image is too large to process (at most {MAX_DECODED_BYTES // 2**20} MB once "
        f"decoded, e.g. {MAX_DECODED_BYTES // 4 // 1_000_000} megapixels in colour); attach a smaller copy.",
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
                _fit_in_memory(img, fmt, name)  # from the header: nothing decoded yet
                img.load()
                try:
                    ImageOps.exif_transpose(img, in_place=True)
                except Exception:  # unreadable EXIF: keep the pixels as they are
                    pass
                transparency = img.info.get("transparency")
                pixels = _savable(img, fmt)
                if pixels is not img:
                    transparency = None  # the conversion applied it to the pixels already
                    img.close()  # its pixels go now: two copies at most are alive at once
                rebuilt = _rebuild(pixels)
                del pixels
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


def _bytes_per_pixel(mode: str) -> int:
    """What Pillow stores a pixel of `mode` in (RGB too takes 4 bytes)."""
    if mode in {"1", "L", "P"}:
        return 1
    return 2 if mode.startswith("I;16") else 4


def _decoded_bytes(img: Image.Image, fmt: str) -> int:
    # A palette image may be converted to RGBA (an RGBA palette is only known once loaded).
    widest = 4 if img.mode == "P" else max(_bytes_per_pixel(img.mode), _bytes_per_pixel(_save_mode(img, fmt)))
    width, height = img.size
    return width * height * widest


def _fit_in_memory(img: Image.Image, fmt: str, name: str) -> None:
    """Refuse, before decoding, an image whose pixels would not fit in `MAX_DECODED_BYTES`;
    a JPEG is first asked to decode at the smallest reduction that fits."""
    if _decoded_bytes(img, fmt) <= MAX_DECODED_BYTES:
        return
    if fmt == "JPEG":
        width, height = img.size
        per_pixel = _decoded_bytes(img, fmt) // (width * height)
        for scale in _JPEG_SCALES:
            if -(-width // scale) * -(-height // scale) * per_pixel <= MAX_DECODED_BYTES:
                img.draft(img.mode, (width // scale, height // scale))
                break
        if _decoded_bytes(img, fmt) <= MAX_DECODED_BYTES:
            return
    raise _too_much_memory(name)


def _save_mode(img: Image.Image, fmt: str) -> str:
    """The mode `img` is saved in: its own when `fmt` can save it (alpha kept where the format
    has it)."""
    if img.mode in _SAVABLE_MODES[fmt]:
        if img.mode == "P" and img.palette is not None and img.palette.mode != "RGB":
            return "RGBA"  # an RGBA palette: keep its alpha in the pixels
        return img.mode
    has_alpha = "A" in img.getbands() or "transparency" in img.info
    if fmt == "JPEG":  # no alpha in JPEG
        grey = img.mode in {"1", "LA", "I", "F"} or img.mode.startswith("I;")
        return "L" if grey else "RGB"
    if fmt == "PNG" and img.mode.startswith("I;"):
        return "I"
    return "RGBA" if has_alpha else "RGB"


def _savable(img: Image.Image, fmt: str) -> Image.Image:
    """`img`, converted when `fmt` cannot save its mode."""
    mode = _save_mode(img, fmt)
    return img if mode == img.mode else img.convert(mode)


def _rebuild(img: Image.Image) -> Image.Image:
    """A new image made of `img`'s pixels (and palette) only: its `info` stays behind."""
    fresh = Image.new(img.mode, img.size)
    fresh.paste(img)  # one copy of the pixels, with no intermediate bytes object
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
    # Counted from the cross-reference table, before any object is parsed.
    if sum(len(numbers) for numbers in reader.xref.values()) + len(reader.xref_objStm) > MAX_PDF_OBJECTS:
        raise AttachmentRefused(
            f"{name}: the PDF has too many parts to process (at most {MAX_PDF_OBJECTS:,} objects); "
            "attach it in smaller parts or printed to a new PDF.",
            filename=name,
            reason="too_large",
        )
    try:
        pages = list(reader.pages)
        if not pages:
            raise ValueError("no pages")
        writer = PdfWriter()
        writer.pdf_header = reader.pdf_header  # keep the declared version (e.g. %PDF-1.7)
        for page in pages:
            writer.add_page(page, excluded_keys=_strip(page))
        writer.metadata = None  # no /Info at all (not even pypdf's /Producer)
        writer.xmp_metadata = None  # no /Metadata in the catalog
        # Drop whatever is no longer referenced (the emptied /Info, anything left behind).
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
        out = io.BytesIO()
        writer.write(out)
    except Exception:
        raise _damaged(name, "PDF") from None
    return out.getvalue()


# What a page keeps: what draws it (see the module docstring). /Type and /Parent place it in
# the page tree, which the writer rebuilds.
_PAGE_KEYS = frozenset(
    {"/Type", "/Parent", "/Contents", "/Resources", "/MediaBox", "/CropBox", "/Rotate", "/UserUnit", "/Group"}
)
# Entries removed wherever they are below a page: actions, name trees, forms, files, references
# to other files, annotations, metadata.
_DROPPED_KEYS = frozenset(
    {
        "/A", "/AA", "/OpenAction", "/JS", "/JavaScript", "/Names", "/EmbeddedFiles", "/EF",
        "/AcroForm", "/XFA", "/Annots", "/Ref", "/OPI", "/Metadata", "/PieceInfo",
    }
)
# Dictionaries that have no business among a page's drawing resources, by /Type ...
_DROPPED_TYPES = frozenset(
    {"/Action", "/Annot", "/Filespec", "/EmbeddedFile", "/Catalog", "/Pages", "/Page"}
)
# ... or by the /S of an action (an action's /Type is optional).
_ACTION_KINDS = frozenset(
    {
        "/GoTo", "/GoToR", "/GoToE", "/GoToDp", "/Launch", "/Thread", "/URI", "/Sound", "/Movie",
        "/Hide", "/Named", "/SubmitForm", "/ResetForm", "/ImportData", "/JavaScript", "/SetOCGState",
        "/Rendition", "/Trans", "/GoTo3DView", "/RichMediaExecute",
    }
)


def _strip(page: DictionaryObject) -> list[str]:
    """Clean what `page` keeps in place, before it is copied; returns the keys it must not keep.

    Walks the objects the kept entries reach (not /Parent, which leads to the other pages) and
    removes every entry of `_DROPPED_KEYS`, every PostScript XObject, and every entry or array
    item that is an action, annotation, file or page-tree object.
    """
    seen: set[int] = set()
    todo: list[object] = [page[key] for key in page if key in _PAGE_KEYS and key != "/Parent"]
    while todo:
        obj = todo.pop()
        if isinstance(obj, IndirectObject):
            obj = obj.get_object()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, DictionaryObject):  # streams are dictionaries too
            for key in [k for k, v in obj.items() if k in _DROPPED_KEYS or _is_active(v)]:
                del obj[key]
            todo.extend(value for key, value in obj.items() if key != "/Parent")
        elif isinstance(obj, ArrayObject):
            for i, item in enumerate(obj):
                if _is_active(item):
                    obj[i] = NullObject()
            todo.extend(obj)
    return [key for key in page if key not in _PAGE_KEYS]


def _is_active(value: object) -> bool:
    """Whether `value` is (a reference to) something that acts, holds a file or leads to pages."""
    if isinstance(value, IndirectObject):
        value = value.get_object()
    if not isinstance(value, DictionaryObject):
        return False
    return (
        value.get("/Type") in _DROPPED_TYPES
        or value.get("/S") in _ACTION_KINDS
        or (value.get("/Subtype") == "/PS")  # PostScript passed to printers
    )


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
