"""The export documents' envelope: the format name, `DemoExport` and a document's top level."""

from __future__ import annotations

from dataclasses import dataclass


FORMAT = "assessment-export/1"


@dataclass(frozen=True)
class DemoExport:
    document: dict  # one assessment-export/1 document (valid against the schema)
    correction_reason: str | None = None  # set on documents that correct already-published findings


def _document(exported_at: str, **sections: list) -> dict:
    return {"format": FORMAT, "exportedAt": exported_at, **sections}
