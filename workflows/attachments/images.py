"""Cleaning of images: rebuilt from their pixels, within a memory budget.

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
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

from .files import AttachmentRefused, damaged

# Pillow refuses (DecompressionBombError) above twice this and warns above it; the warning is
# turned into a refusal below, and the size is also checked explicitly, since warning filters
# are process-wide and not reliable when several threads clean at once.
MAX_IMAGE_PIXELS = 60_000_000
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
# Pixels one decode may hold (see the module docstring: a second copy is made while cleaning).
MAX_DECODED_BYTES = 64 * 1024 * 1024
# JPEG's DCT can decode at these fractions of the size, for that fraction squared of the memory.
_JPEG_SCALES = (2, 4, 8)

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


def clean_image(data: bytes, name: str, fmt: str) -> bytes:
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
        raise damaged(name, "image") from None

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
