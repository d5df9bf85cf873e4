"""PDFs made for the attachment-cleaning tests and bench/decode_memory.py: one carrying every
kind of active content a viewer may run or open, with a check that a PDF carries none of it,
and one made of many tiny objects."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

VISIBLE_TEXT = "Corrective action plan"
FORM_DRAWING = b"0 0 10 10 re f"
# Strings that only the active parts carry: none may be left after cleaning.
PAYLOADS = (b"app.alert", b"calc.exe", b"MZ-ATTACHED-PAYLOAD", b"EMBEDDED-IN-NAMES", b"<xdp:xdp", b"evil.example")
# Names that only active content uses (checked on the raw bytes).
ACTIVE_NAMES = (
    b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/AA", b"/OpenAction", b"/XFA", b"/AcroForm",
    b"/Annots", b"/FileAttachment", b"/Widget", b"/Filespec", b"/Screen", b"/Rendition", b"/URI",
)
# Keys and values that must not be anywhere in the parsed document.
ACTIVE_KEYS = {"/A", "/AA", "/OpenAction", "/JS", "/JavaScript", "/Names", "/EmbeddedFiles", "/EF", "/AcroForm", "/XFA", "/Annots", "/Ref"}
ACTIVE_TYPES = {"/Action", "/Annot", "/Filespec", "/EmbeddedFile"}
ACTION_KINDS = {"/JavaScript", "/Launch", "/URI", "/Rendition", "/SubmitForm", "/ImportData", "/GoToE", "/GoToR"}


def _name(value: str) -> NameObject:
    return NameObject(value)


def _dict(**entries) -> DictionaryObject:
    return DictionaryObject({_name("/" + key): value for key, value in entries.items()})


def _javascript(code: str) -> DictionaryObject:
    return _dict(Type=_name("/Action"), S=_name("/JavaScript"), JS=TextStringObject(code))


def _rect() -> ArrayObject:
    return ArrayObject([NumberObject(72), NumberObject(600), NumberObject(300), NumberObject(640)])


def _stream(data: bytes, **entries) -> StreamObject:
    stream = StreamObject()
    stream.set_data(data)
    stream.update({_name("/" + key): value for key, value in entries.items()})
    return stream


def active_pdf() -> bytes:
    """One visible page of text (and a drawn form XObject) with, around it: a page /AA with
    JavaScript, Link annotations with /JavaScript, /Launch and /URI actions, a /FileAttachment
    annotation with its embedded file, a /Screen annotation with a rendition action, an AcroForm
    with a widget (its own /AA) and XFA, a catalog /OpenAction, /Names /JavaScript and
    /EmbeddedFiles, and a form XObject with an /AA and a /Ref to an external file."""
    writer = PdfWriter()
    add = writer._add_object
    page = writer.add_blank_page(612, 792)

    font = add(_dict(Type=_name("/Font"), Subtype=_name("/Type1"), BaseFont=_name("/Helvetica")))
    external = add(_dict(Type=_name("/Filespec"), F=TextStringObject("http://evil.example/x.pdf")))
    form = add(
        _stream(
            FORM_DRAWING,
            Type=_name("/XObject"), Subtype=_name("/Form"),
            BBox=ArrayObject([NumberObject(0)] * 2 + [NumberObject(10)] * 2),
            AA=_dict(O=_javascript("app.alert('from a form XObject')")),
            Ref=_dict(F=external, Page=NumberObject(0)),
        )
    )
    page[_name("/Resources")] = _dict(Font=_dict(F1=font), XObject=_dict(Fm1=form))
    page[_name("/Contents")] = add(_stream(f"BT /F1 12 Tf 72 720 Td ({VISIBLE_TEXT}) Tj ET /Fm1 Do".encode()))
    page[_name("/AA")] = _dict(O=_javascript("app.alert('page opened')"), C=_javascript("app.alert('page closed')"))

    embedded = add(_stream(b"MZ-ATTACHED-PAYLOAD", Type=_name("/EmbeddedFile")))
    attached_spec = _dict(Type=_name("/Filespec"), F=TextStringObject("payload.exe"), EF=_dict(F=embedded))
    widget = add(
        _dict(
            Type=_name("/Annot"), Subtype=_name("/Widget"), Rect=_rect(), FT=_name("/Tx"),
            T=TextStringObject("name"), V=TextStringObject("value"), P=page.indirect_reference,
            AA=_dict(K=_javascript("app.alert('keystroke')")),
        )
    )
    annotations = [
        _dict(Type=_name("/Annot"), Subtype=_name("/Link"), Rect=_rect(), A=_javascript("app.alert('link')")),
        _dict(
            Type=_name("/Annot"), Subtype=_name("/Link"), Rect=_rect(),
            A=_dict(S=_name("/Launch"), F=TextStringObject("calc.exe"), Win=_dict(F=TextStringObject("calc.exe"))),
        ),
        _dict(Type=_name("/Annot"), Subtype=_name("/Link"), Rect=_rect(), A=_dict(S=_name("/URI"), URI=TextStringObject("http://evil.example/"))),
        _dict(Type=_name("/Annot"), Subtype=_name("/FileAttachment"), Rect=_rect(), FS=add(attached_spec), Name=_name("/Paperclip")),
        _dict(
            Type=_name("/Annot"), Subtype=_name("/Screen"), Rect=_rect(),
            A=_dict(S=_name("/Rendition"), JS=TextStringObject("app.alert('rendition')")),
        ),
    ]
    page[_name("/Annots")] = ArrayObject([add(a) for a in annotations] + [widget])

    root = writer._root_object
    root[_name("/OpenAction")] = _javascript("app.alert('document opened')")
    xfa = add(_stream(b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"></xdp:xdp>'))
    root[_name("/AcroForm")] = _dict(Fields=ArrayObject([widget]), XFA=xfa)
    writer.add_attachment("notes.txt", b"EMBEDDED-IN-NAMES")  # /Names /EmbeddedFiles
    scripts = _dict(Names=ArrayObject([TextStringObject("init"), add(_javascript("app.alert('from the name tree')"))]))
    root["/Names"].get_object()[_name("/JavaScript")] = scripts

    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _all_objects(reader: PdfReader):
    """Every object of the file: what the trailer reaches, and every numbered object."""
    todo: list[object] = [reader.trailer]
    for numbers in reader.xref.values():
        todo.extend(IndirectObject(number, 0, reader) for number in numbers)
    todo.extend(IndirectObject(number, 0, reader) for number in reader.xref_objStm)
    seen: set[int] = set()
    while todo:
        obj = todo.pop()
        if isinstance(obj, IndirectObject):
            obj = obj.get_object()
        if obj is None or id(obj) in seen:
            continue
        seen.add(id(obj))
        yield obj
        if isinstance(obj, DictionaryObject):
            todo.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            todo.extend(obj)


def active_content(pdf: bytes) -> list[str]:
    """What of the active content is in `pdf` (empty when none is)."""
    found = [f"bytes {needle!r}" for needle in ACTIVE_NAMES + PAYLOADS if needle in pdf]
    for obj in _all_objects(PdfReader(io.BytesIO(pdf))):
        if isinstance(obj, DictionaryObject):
            found += [f"key {key}" for key in obj if key in ACTIVE_KEYS]
            if obj.get("/Type") in ACTIVE_TYPES or obj.get("/S") in ACTION_KINDS:
                found.append(f"object {obj.get('/Type')} {obj.get('/S')}")
    return found


def visible_text(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def many_objects_pdf(count: int) -> bytes:
    """One page whose resources lead, a hundred to an array, to `count` tiny objects."""
    writer = PdfWriter()
    page = writer.add_blank_page(100, 100)
    tiny = [writer._add_object(_dict(K=NumberObject(i))) for i in range(count)]
    groups = ArrayObject(writer._add_object(ArrayObject(tiny[i : i + 100])) for i in range(0, count, 100))
    page[_name("/Resources")] = _dict(Properties=_dict(P0=groups))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
