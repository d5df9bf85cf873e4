"""Attachments: sniffing by bytes, metadata removal from real files, and the file store.

Every input is made here with real metadata (Pillow / pypdf), and each test first checks that
the metadata really is in the input, so that a cleaner that did nothing would fail.
"""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from pdfs import FORM_DRAWING, VISIBLE_TEXT, active_content, active_pdf, many_objects_pdf, visible_text
from PIL import ExifTags, Image, PngImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, StreamObject

from transparency_portal.domain.errors import BadUserInput
from transparency_portal.workflows.attachments import (
    ALLOWED,
    AttachmentRefused,
    MAX_DECODED_BYTES,
    CleanFile,
    clean,
    sanitize_filename,
)

from transparency_portal.storage.objects import EXTENSIONS, object_key
from transparency_portal.storage.objects.files import FileStore

XMP_NS = b"http://ns.adobe.com/xap"
XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/" xmp:CreatorTool="SecretTool">'
    b"<dc:creator>Jane Doe</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"
    b'<?xpacket end="w"?>'
)
WIDTH, HEIGHT = 64, 32


def make_exif(orientation: int | None = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.Model] = "SpyPhone 9"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (23.0, 48.0, 36.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (90.0, 24.0, 12.25)
    gps[ExifTags.GPS.GPSProcessingMethod] = b"ASCII\x00\x00\x00GPS"  # so b"GPS" is in the bytes
    return exif


def photo(mode: str = "RGB") -> Image.Image:
    """A landscape picture whose left half is red and right half blue (to see rotations)."""
    img = Image.new(mode, (WIDTH, HEIGHT), (220, 20, 20, 255)[: len(mode)])
    img.paste((20, 20, 220, 128)[: len(mode)], (WIDTH // 2, 0, WIDTH, HEIGHT))
    return img


def encode(img: Image.Image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **options)
    return buf.getvalue()


def assert_no_exif_gps(cleaned: Image.Image, content: bytes) -> None:
    assert len(cleaned.getexif()) == 0
    assert "exif" not in cleaned.info
    assert "xmp" not in cleaned.info
    assert "comment" not in cleaned.info
    assert "icc_profile" not in cleaned.info
    for needle in (b"SecretCam", b"SpyPhone", b"GPS", b"Exif\x00", XMP_NS, b"Jane Doe", b"secret"):
        assert needle not in content, needle


def colour_at(img: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    return img.convert("RGB").getpixel(xy)


# --- JPEG ---------------------------------------------------------------------------------


@pytest.fixture
def dirty_jpeg() -> bytes:
    data = encode(photo(), "JPEG", exif=make_exif(6), comment=b"secret", xmp=XMP, quality=95)
    # The input really carries everything the cleaner must remove.
    original = Image.open(io.BytesIO(data))
    assert original.getexif()[ExifTags.Base.Make] == "SecretCam"
    assert original.getexif()[ExifTags.Base.Orientation] == 6
    gps = original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert gps[ExifTags.GPS.GPSLatitude] == (23.0, 48.0, 36.5)
    assert original.info["comment"] == b"secret"
    assert b"SecretTool" in original.info["xmp"]
    for needle in (b"secret", b"GPS", b"SecretCam", XMP_NS, b"Jane Doe"):
        assert needle in data
    return data


def test_jpeg_loses_exif_gps_xmp_and_comment(dirty_jpeg):
    result = clean(dirty_jpeg, "IMG_0001.JPG")

    assert isinstance(result, CleanFile)
    assert result.content_type == "image/jpeg"
    assert result.extension == ".jpg"
    assert result.sha256 == hashlib.sha256(result.content).hexdigest()
    assert result.size == len(result.content)
    assert result.original_name == "IMG_0001.JPG"

    cleaned = Image.open(io.BytesIO(result.content))
    assert cleaned.format == "JPEG"
    assert_no_exif_gps(cleaned, result.content)
    assert b"\xff\xfe" not in result.content.split(b"\xff\xda", 1)[0]  # no COM segment
    # Orientation 6 applied: the landscape photo is now portrait, the red half on top.
    assert cleaned.size == (HEIGHT, WIDTH)
    top, bottom = colour_at(cleaned, (HEIGHT // 2, 4)), colour_at(cleaned, (HEIGHT // 2, WIDTH - 5))
    assert top[0] > 150 and top[2] < 100
    assert bottom[2] > 150 and bottom[0] < 100


def test_cleaning_is_deterministic(dirty_jpeg):
    assert clean(dirty_jpeg, "a.jpg").sha256 == clean(dirty_jpeg, "b.jpg").sha256


def test_cmyk_and_greyscale_jpegs_keep_their_mode():
    cmyk = encode(Image.new("CMYK", (10, 10), (0, 50, 100, 0)), "JPEG", exif=make_exif(1))
    grey = encode(Image.new("L", (10, 10), 90), "JPEG", comment=b"secret")
    assert Image.open(io.BytesIO(clean(cmyk, "c.jpg").content)).mode == "CMYK"
    cleaned_grey = clean(grey, "g.jpg").content
    assert Image.open(io.BytesIO(cleaned_grey)).mode == "L"
    assert b"secret" not in cleaned_grey


def test_icc_profile_is_dropped():
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(photo(), "JPEG", icc_profile=icc)
    assert Image.open(io.BytesIO(data)).info.get("icc_profile") == icc
    cleaned = Image.open(io.BytesIO(clean(data, "p.jpg").content))
    assert "icc_profile" not in cleaned.info


# --- PNG ----------------------------------------------------------------------------------


def test_png_loses_text_chunks_and_exif_keeps_alpha():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Doe")
    info.add_itxt("GPS", "23.81N 90.40E", lang="en")
    info.add_text("Comment", "secret", zip=True)
    data = encode(photo("RGBA"), "PNG", pnginfo=info, exif=make_exif(6), dpi=(300, 300))
    original = Image.open(io.BytesIO(data))
    original.load()
    assert original.text["Author"] == "Jane Doe"
    assert original.text["GPS"] == "23.81N 90.40E"
    assert original.getexif()[ExifTags.Base.Make] == "SecretCam"
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"pHYs"):
        assert chunk in data

    result = clean(data, "screenshot.png")

    assert (result.content_type, result.extension) == ("image/png", ".png")
    cleaned = Image.open(io.BytesIO(result.content))
    cleaned.load()
    assert cleaned.format == "PNG"
    assert cleaned.text == {}
    assert "dpi" not in cleaned.info
    assert_no_exif_gps(cleaned, result.content)
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"pHYs"):
        assert chunk not in result.content
    assert cleaned.size == (HEIGHT, WIDTH)  # orientation from the eXIf chunk applied
    assert cleaned.mode == "RGBA"
    assert cleaned.getpixel((HEIGHT // 2, WIDTH - 5))[3] == 128  # alpha survives


def test_palette_png_keeps_palette_and_transparency():
    img = Image.new("P", (8, 8), 1)
    img.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * (256 * 3 - 9))
    img.paste(2, (0, 0, 4, 8))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Doe")
    data = encode(img, "PNG", transparency=2, pnginfo=info)
    assert b"Jane Doe" in data

    result = clean(data, "chart.png")

    cleaned = Image.open(io.BytesIO(result.content))
    assert b"Jane Doe" not in result.content
    assert cleaned.mode == "P"
    rgba = cleaned.convert("RGBA")
    assert rgba.getpixel((6, 0)) == (255, 0, 0, 255)
    assert rgba.getpixel((1, 0))[3] == 0


# --- WebP ---------------------------------------------------------------------------------


def test_webp_loses_exif_and_xmp():
    data = encode(photo(), "WEBP", exif=make_exif(6), xmp=XMP, quality=95)
    original = Image.open(io.BytesIO(data))
    assert original.getexif()[ExifTags.Base.Make] == "SecretCam"
    assert b"EXIF" in data and b"XMP " in data and XMP_NS in data

    result = clean(data, "photo.webp")

    assert (result.content_type, result.extension) == ("image/webp", ".webp")
    cleaned = Image.open(io.BytesIO(result.content))
    assert cleaned.format == "WEBP"
    assert_no_exif_gps(cleaned, result.content)
    assert b"EXIF" not in result.content and b"XMP " not in result.content
    assert cleaned.size == (HEIGHT, WIDTH)


def test_animated_webp_keeps_the_first_frame():
    frames = [Image.new("RGB", (16, 16), c) for c in ((250, 0, 0), (0, 0, 250))]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    assert Image.open(io.BytesIO(data)).n_frames == 2

    cleaned = Image.open(io.BytesIO(clean(data, "anim.webp").content))
    assert getattr(cleaned, "n_frames", 1) == 1
    assert colour_at(cleaned, (8, 8))[0] > 200


def test_animated_png_is_a_png_and_keeps_the_first_frame():
    frames = [Image.new("RGBA", (8, 8), c) for c in ((250, 0, 0, 255), (0, 0, 250, 255))]
    data = encode(frames[0], "PNG", save_all=True, append_images=frames[1:])
    assert b"acTL" in data  # filetype calls this image/apng

    result = clean(data, "anim.png")

    assert (result.content_type, result.extension) == ("image/png", ".png")
    assert b"acTL" not in result.content and b"fdAT" not in result.content
    assert colour_at(Image.open(io.BytesIO(result.content)), (4, 4)) == (250, 0, 0)


def test_multi_picture_jpeg_keeps_the_first_picture():
    pictures = [Image.new("RGB", (8, 8), c) for c in ((250, 0, 0), (0, 0, 250))]
    data = encode(pictures[0], "MPO", save_all=True, append_images=pictures[1:], exif=make_exif(1))
    assert Image.open(io.BytesIO(data)).n_frames == 2

    result = clean(data, "stereo.jpg")

    cleaned = Image.open(io.BytesIO(result.content))
    assert (result.content_type, cleaned.format, getattr(cleaned, "n_frames", 1)) == (
        "image/jpeg",
        "JPEG",
        1,
    )
    assert_no_exif_gps(cleaned, result.content)


# --- PDF ----------------------------------------------------------------------------------


def make_pdf(*, encrypt: str | None = None) -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    contents = StreamObject()
    contents.set_data(b"BT /F1 12 Tf 72 720 Td (Corrective action plan) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(contents)
    writer.add_blank_page(612, 792)
    writer.add_metadata(
        {"/Author": "Jane Doe", "/Producer": "SecretProducer 4.2", "/Title": "Audit response"}
    )
    writer.xmp_metadata = XMP
    if encrypt is not None:
        writer.encrypt(encrypt)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_pdf_loses_document_info_and_xmp_keeps_pages_and_text():
    data = make_pdf()
    original = PdfReader(io.BytesIO(data))
    assert original.metadata["/Author"] == "Jane Doe"
    assert "/Metadata" in original.trailer["/Root"]
    assert b"Jane Doe" in data and b"SecretProducer" in data and XMP_NS in data

    result = clean(data, "response.pdf")

    assert (result.content_type, result.extension) == ("application/pdf", ".pdf")
    for needle in (b"Jane Doe", b"SecretProducer", b"Audit response", XMP_NS, b"SecretTool"):
        assert needle not in result.content, needle
    cleaned = PdfReader(io.BytesIO(result.content))
    assert not cleaned.metadata
    assert "/Info" not in cleaned.trailer
    assert "/Metadata" not in cleaned.trailer["/Root"]
    assert cleaned.xmp_metadata is None
    assert len(cleaned.pages) == 2
    assert "Corrective action plan" in cleaned.pages[0].extract_text()
    assert clean(data, "again.pdf").sha256 == result.sha256  # no random /ID


def test_pdf_page_level_metadata_is_dropped():
    writer = PdfWriter()
    page = writer.add_blank_page(100, 100)
    xmp = StreamObject()
    xmp.set_data(XMP)
    page[NameObject("/Metadata")] = writer._add_object(xmp)
    # ... and on a form XObject the page draws (as Photoshop-made images often have).
    form_xmp = StreamObject()
    form_xmp.set_data(XMP.replace(b"Jane Doe", b"John Roe"))
    form = StreamObject()
    form.set_data(b"0 0 10 10 re f")
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject([NumberObject(0)] * 2 + [NumberObject(10)] * 2),
            NameObject("/Metadata"): writer._add_object(form_xmp),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject("/Fm1"): writer._add_object(form)})}
    )
    contents = StreamObject()
    contents.set_data(b"/Fm1 Do")
    page[NameObject("/Contents")] = writer._add_object(contents)
    buf = io.BytesIO()
    writer.write(buf)
    assert b"Jane Doe" in buf.getvalue() and b"John Roe" in buf.getvalue()

    cleaned = clean(buf.getvalue(), "p.pdf").content
    assert b"Jane Doe" not in cleaned and b"John Roe" not in cleaned
    cleaned_page = PdfReader(io.BytesIO(cleaned)).pages[0]
    assert "/Metadata" not in cleaned_page
    cleaned_form = cleaned_page["/Resources"]["/XObject"]["/Fm1"].get_object()
    assert "/Metadata" not in cleaned_form
    assert cleaned_form.get_data() == b"0 0 10 10 re f"  # the drawing itself survives


def test_pdf_active_content_is_removed_and_the_page_still_shows():
    data = active_pdf()
    # The input carries every kind: page /AA, links with JavaScript, Launch and URI actions, a
    # file attachment annotation and its file, a screen annotation, a form with a widget and
    # XFA, the catalog's /OpenAction, /Names /JavaScript and /EmbeddedFiles, a form XObject
    # with /AA and a /Ref to an outside file.
    found = " ".join(active_content(data))
    for kind in ("/JavaScript", "/Launch", "/URI", "/EmbeddedFile", "/AA", "/OpenAction", "/XFA", "/AcroForm",
                 "/FileAttachment", "/Widget", "/Screen", "MZ-ATTACHED-PAYLOAD", "EMBEDDED-IN-NAMES", "key /Ref"):
        assert kind in found, kind

    result = clean(data, "plan.pdf")

    assert active_content(result.content) == []
    assert VISIBLE_TEXT in visible_text(result.content)
    cleaned = PdfReader(io.BytesIO(result.content))
    assert len(cleaned.pages) == 1
    assert [float(x) for x in cleaned.pages[0].mediabox] == [0, 0, 612, 792]
    form = cleaned.pages[0]["/Resources"]["/XObject"]["/Fm1"].get_object()
    assert form.get_data() == FORM_DRAWING  # what the form XObject draws is kept


def test_pdf_page_geometry_and_inherited_resources_survive():
    writer = PdfWriter()
    page = writer.add_blank_page(400, 300)
    font = DictionaryObject(
        {NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
         NameObject("/BaseFont"): NameObject("/Helvetica")}
    )
    # Resources and rotation given on the page tree, inherited by the page.
    pages = writer._root_object["/Pages"].get_object()
    pages[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    pages[NameObject("/Rotate")] = NumberObject(90)
    del page["/Resources"]
    page[NameObject("/CropBox")] = ArrayObject([NumberObject(v) for v in (10, 10, 390, 290)])
    contents = StreamObject()
    contents.set_data(b"BT /F1 12 Tf 20 150 Td (Inherited fonts) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(contents)
    buf = io.BytesIO()
    writer.write(buf)

    cleaned = PdfReader(io.BytesIO(clean(buf.getvalue(), "tree.pdf").content)).pages[0]

    assert "Inherited fonts" in cleaned.extract_text()
    assert cleaned.rotation == 90
    assert [float(x) for x in cleaned.cropbox] == [10, 10, 390, 290]


def test_a_pdf_of_too_many_objects_is_refused():
    # Memory grows with the objects pypdf parses and copies: 150,000 tiny ones (9 MB) took 400 MB.
    data = many_objects_pdf(35_000)
    assert len(PdfReader(io.BytesIO(data)).pages) == 1  # a valid PDF
    with pytest.raises(AttachmentRefused) as refused:
        clean(data, "many.pdf")
    assert refused.value.details == {"filename": "many.pdf", "reason": "too_large"}
    assert "35,000 objects" in refused.value.message


def test_encrypted_pdf_is_refused():
    data = make_pdf(encrypt="hunter2")
    assert PdfReader(io.BytesIO(data)).is_encrypted
    with pytest.raises(AttachmentRefused) as refused:
        clean(data, "locked.pdf")
    assert refused.value.details == {"filename": "locked.pdf", "reason": "encrypted"}


def test_pdf_that_cannot_be_read_is_damaged():
    with pytest.raises(AttachmentRefused) as refused:
        clean(b"%PDF-1.7\n" + os.urandom(200), "broken.pdf")
    assert refused.value.reason == "damaged"


# --- Sniffing and refusals ----------------------------------------------------------------


def test_bytes_decide_not_the_name():
    pdf_named_jpg = clean(make_pdf(), "photo.jpg")
    assert (pdf_named_jpg.content_type, pdf_named_jpg.extension) == ("application/pdf", ".pdf")
    png_named_pdf = clean(encode(photo(), "PNG"), "report.pdf")
    assert png_named_pdf.content_type == "image/png"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "photo.jpg"),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" '
            b'height="10"><script>alert(1)</script></svg>',
            "logo.svg",
        ),
        (b"just some text, really\n", "notes.png"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200), "invoice.png"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "pixel.png"),
        (b"", "empty.jpg"),
    ],
    ids=["html-as-jpg", "svg", "text", "exe-as-png", "gif", "empty"],
)
def test_other_types_are_refused(data, name):
    with pytest.raises(AttachmentRefused) as refused:
        clean(data, name)
    assert isinstance(refused.value, BadUserInput)
    assert refused.value.code == "BAD_USER_INPUT"
    assert refused.value.details == {"filename": name, "reason": "type"}
    for kind in ("JPEG", "PNG", "WebP", "PDF"):
        assert kind in refused.value.message


def test_random_bytes_are_refused():
    random_bytes = bytes((i * 7919 + 13) % 251 for i in range(4096))
    with pytest.raises(AttachmentRefused) as refused:
        clean(random_bytes, "data.bin")
    assert refused.value.reason == "type"


def test_truncated_jpeg_is_damaged():
    noise = Image.effect_noise((200, 200), 80).convert("RGB")
    data = encode(noise, "JPEG", quality=95)
    truncated = data[: len(data) // 2]
    with pytest.raises(AttachmentRefused) as refused:
        clean(truncated, "cut.jpg")
    assert refused.value.details == {"filename": "cut.jpg", "reason": "damaged"}


def test_image_header_without_pixels_is_damaged():
    png = encode(photo(), "PNG")
    with pytest.raises(AttachmentRefused) as refused:
        clean(png[:60], "short.png")
    assert refused.value.reason == "damaged"


def test_decompression_bomb_is_refused():
    # A tiny PNG that claims 10000 x 7000 pixels (70 million, over the 60 million limit).
    bomb = encode(Image.new("1", (10_000, 7_000)), "PNG")
    assert len(bomb) < 100_000
    with pytest.raises(AttachmentRefused) as refused:
        clean(bomb, "bomb.png")
    assert refused.value.reason == "too_large"


def compact_png(mode: str, size: tuple[int, int]) -> bytes:
    """A big solid-colour image saved as a small PNG (Pillow's own limit lifted to make it)."""
    previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        return encode(Image.new(mode, size, (10, 200, 30, 255)[: len(mode)]), "PNG")
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def test_an_image_too_large_to_decode_is_refused_from_its_header():
    # Issue 10: a 250 KB 7745 x 7745 RGBA PNG, under the pixel cap, took 900 MB to clean.
    big = compact_png("RGBA", (7745, 7745))
    assert len(big) < 300_000 and 7745 * 7745 * 4 > MAX_DECODED_BYTES
    # The same header followed by pixel data cut short: a decoder would find it damaged, so
    # "too_large" (not "damaged") shows that no pixel was decoded.
    cut = big[: big.index(b"IDAT") + 200]
    for data in (big, cut):
        with pytest.raises(AttachmentRefused) as refused:
            clean(data, "plan.png")
        assert refused.value.code == "BAD_USER_INPUT"
        assert refused.value.details == {"filename": "plan.png", "reason": "too_large"}
        assert "too large to process" in refused.value.message and "64 MB" in refused.value.message


def test_a_palette_image_is_counted_at_the_size_it_may_be_converted_to():
    # 1 byte a pixel as a palette (40 MB), but an RGBA palette becomes 4 bytes a pixel.
    with pytest.raises(AttachmentRefused) as refused:
        clean(compact_png("P", (8000, 5000)), "chart.png")
    assert refused.value.reason == "too_large"


def test_a_jpeg_too_large_to_decode_is_decoded_smaller():
    # 4500 x 4000 RGB takes 72 MB decoded: decoded at half size instead of being refused.
    data = encode(Image.new("RGB", (4500, 4000), (200, 30, 30)), "JPEG")
    result = Image.open(io.BytesIO(clean(data, "site.jpg").content))
    assert result.size == (2250, 2000)
    assert colour_at(result, (1000, 1000))[0] > 180


def test_refusal_uses_the_sanitized_name():
    with pytest.raises(AttachmentRefused) as refused:
        clean(b"<html></html>", "../../etc/\x00evil\u202egpj.html")
    assert refused.value.details["filename"] == "evilgpj.html"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("photo.jpg", "photo.jpg"),
        ("/home/jane/Pictures/site visit.jpg", "site visit.jpg"),
        ("C:\\Users\\Jane\\Desktop\\plan.pdf", "plan.pdf"),
        ("bad\x00na\x1bme\r\n.png", "badname.png"),
        ("rep\u202eort.pdf", "report.pdf"),
        ("", "attachment"),
        ("..", "attachment"),
        ("x" * 500 + ".jpg", "x" * 200),
        ("façade.jpg", "façade.jpg"),
    ],
)
def test_sanitize_filename(raw, expected):
    assert sanitize_filename(raw) == expected
    assert clean(encode(photo(), "PNG"), raw).original_name == expected


# --- FileStore ----------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path):
    return FileStore(tmp_path / "attachments")


def all_files(root):
    return sorted(p for p in root.rglob("*") if p.is_file())


def key_of(file: CleanFile) -> str:
    return object_key(file.sha256, file.extension)


async def test_put_stores_at_the_content_hash_path_once(store, dirty_jpeg):
    file = clean(dirty_jpeg, "a.jpg")

    await store.put(key_of(file), file.content)
    again = clean(dirty_jpeg, "other-name.jpg")
    await store.put(key_of(again), again.content)

    sha = file.sha256
    path = store.root / sha[:2] / sha[2:4] / f"{sha}.jpg"
    assert path == store.path_for(sha, ".jpg")
    assert path.read_bytes() == file.content
    assert all_files(store.root) == [path]  # one file, no temp files left behind
    assert await store.read(key_of(file)) == file.content


async def test_put_does_not_rewrite_existing_content_but_renews_its_time(store):
    # The sweep removes unreferenced files not written for an hour: a request about to refer
    # to content already stored must make it young again, without rewriting it.
    file = clean(encode(photo(), "PNG"), "a.png")
    await store.put(key_of(file), file.content)
    path = store.path_for(file.sha256, ".png")
    inode, before = path.stat().st_ino, path.stat().st_mtime_ns
    os.utime(path, ns=(before - 3600 * 10**9, before - 3600 * 10**9))
    await store.put(key_of(file), file.content)
    assert path.stat().st_ino == inode
    assert path.stat().st_mtime_ns >= before


async def test_put_different_contents_and_delete(store):
    files = [clean(make_pdf(), "a.pdf"), clean(encode(photo(), "WEBP"), "b.webp")]
    for f in files:
        await store.put(key_of(f), f.content)
    assert len(all_files(store.root)) == 2
    assert sorted(o.key for o in [o async for o in store.list()]) == sorted(key_of(f) for f in files)

    for f in files:
        await store.delete(key_of(f))
        await store.delete(key_of(f))  # already gone: no error

    assert all_files(store.root) == []
    with pytest.raises(FileNotFoundError):
        await store.read(key_of(files[0]))


async def test_failed_write_leaves_no_temp_file(store, monkeypatch):
    file = clean(encode(photo(), "PNG"), "a.png")

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        await store.put(key_of(file), file.content)
    assert all_files(store.root) == []


async def test_keys_outside_the_store_are_refused(store, tmp_path):
    outside = tmp_path / "keep.txt"
    outside.write_text("keep")
    for key in ("../keep.txt", str(outside), "ab/cd/" + "a" * 64 + ".jpg"):  # the last: not under ab/cd/ by its hash
        with pytest.raises(ValueError):
            await store.delete(key)
    assert outside.exists()


def test_the_store_knows_every_accepted_extension():
    assert EXTENSIONS == set(ALLOWED.values())


@pytest.mark.parametrize(
    ("sha", "ext"),
    [("../../etc/passwd", ".jpg"), ("a" * 64, ".exe"), ("A" * 64, ".jpg"), ("a" * 63, ".png")],
)
def test_path_for_rejects_bad_names(store, sha, ext):
    with pytest.raises(ValueError):
        store.path_for(sha, ext)


def test_allowed_types():
    assert ALLOWED == {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/webp": ".webp",
        "application/pdf": ".pdf",
    }
