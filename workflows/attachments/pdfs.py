"""Cleaning of PDFs: each page copied with only what draws it.

PDFs are read with pypdf, encrypted ones are refused, and each page is copied into a new
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
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NullObject

from .files import AttachmentRefused, damaged

# Objects a PDF may declare: pypdf holds each parsed object and its copy (3-4 KB together), so
# a PDF at the limit costs about what an image at MAX_DECODED_BYTES does, some 120 MB
# (bench/decode_memory.py); a 500-page report has a few thousand objects.
MAX_PDF_OBJECTS = 35_000


def clean_pdf(data: bytes, name: str) -> bytes:
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except Exception:
        raise damaged(name, "PDF") from None
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
        raise damaged(name, "PDF") from None
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
