"""The rules an import of the assessment system's export must keep against what is already
stored (`../shared/import-format/README.md`, DOMAIN.md rule 6).

Each rule takes plain values and answers `None` when it holds, or the `Breach` that says which
field of the entry breaks it and why; the import workflow says where the entry is.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from .vocabulary import AssessmentStatus, FindingResult

PUBLISHED = AssessmentStatus.PUBLISHED.value
NOT_ASSESSED = FindingResult.NOT_ASSESSED.value

_SECTION_OF = {"question": "questions", "country": "countries", "factory": "factories"}


@dataclass(frozen=True)
class Breach:
    """A broken rule: the field of the entry that breaks it (None: the whole document), and why."""

    field: str | None
    message: str


class Correction(NamedTuple):
    """A change of a published value: a finding's result (field "result") or an assessment field."""

    assessment: str
    question: str | None
    old: str | None
    new: str | None
    field: str = "result"


def reference(kind: str, ref: str, known: Container[str], field: str) -> Breach | None:
    """An entry refers only to a question, country or factory of this document or of the portal."""
    if ref in known:
        return None
    section = _SECTION_OF[kind]
    return Breach(field, f"unknown {kind} {ref}: it is neither in this document's {section} nor in the portal")


def country_change(stored: str, wanted: str) -> Breach | None:
    """A factory cannot move to another country."""
    if stored == wanted:
        return None
    return Breach("country", f"is {stored} in the portal; a factory cannot move to another country ({wanted})")


def cycle_order(start: date, end: date) -> Breach | None:
    """A cycle does not end before it starts."""
    if start <= end:
        return None
    return Breach("end", f"{end} is before the cycle's start ({start})")


def assessment_in_cycle(factory: str, cycle: int, day: date, span: tuple[date, date] | None) -> Breach | None:
    """An assessment names a cycle of its factory (`span`: its start and end, None when there is
    no such cycle) and is dated inside it."""
    if span is None:
        return Breach("cycle", f"factory {factory} has no cycle {cycle}, neither in this document nor in the portal")
    start, end = span
    if start <= day <= end:
        return None
    return Breach("date", f"{day} is outside cycle {cycle} of factory {factory} ({start} to {end})")


def cycle_change(assessment: str, day: date, start: date, end: date) -> Breach | None:
    """New dates of a stored cycle keep every stored assessment of it (`assessment`, dated `day`)
    inside."""
    if start <= day <= end:
        return None
    return Breach(
        "start" if day < start else "end",
        f"would leave assessment {assessment} ({day}) outside its cycle ({start} to {end})",
    )


def factory_change(stored: str, wanted: str) -> Breach | None:
    """An assessment cannot move to another factory."""
    if stored == wanted:
        return None
    return Breach(
        "factory",
        f"belongs to factory {stored} in the portal; an assessment cannot move to another factory ({wanted})",
    )


def is_published(status: str) -> bool:
    return status == PUBLISHED


def status_change(stored: str, wanted: str) -> Breach | None:
    """A published assessment cannot go back to a draft or a finalized report."""
    if not is_published(stored) or is_published(wanted):
        return None
    return Breach("status", f"is published in the portal and cannot go back to {wanted}")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def assessment_corrections(
    assessment: str, stored: tuple[date, str, int], wanted: tuple[date, str, int]
) -> list[Correction]:
    """Rule 6: the changes of a published assessment's (date, modality, cycle) are corrections."""
    return [
        Correction(assessment, None, before, after, name)
        for name, before, after in (
            ("date", _iso(stored[0]), _iso(wanted[0])),
            ("modality", stored[1], wanted[1]),
            ("cycle", str(stored[2]), str(wanted[2])),
        )
        if before != after
    ]


def finding_corrections(
    assessment: str, stored: Mapping[str, str], wanted: Mapping[str, str]
) -> list[Correction]:
    """Rule 6: the changes of a published assessment's findings are corrections; a question it
    no longer answers becomes NOT_ASSESSED (so answering NOT_ASSESSED for it is no change)."""
    changes = []
    for question, result in wanted.items():
        before = stored.get(question, NOT_ASSESSED)
        if before != result:
            changes.append(Correction(assessment, question, before, result))
    for question, before in stored.items():
        if question not in wanted and before != NOT_ASSESSED:
            changes.append(Correction(assessment, question, before, NOT_ASSESSED))
    return changes


def uncorrected(change: Correction) -> Breach:
    """A correction of published data needs a reason."""
    if change.question is not None:
        return Breach(
            f"findings[{change.question}]",
            f"changes a published finding from {change.old} to {change.new}; re-run with --correction-reason",
        )
    return Breach(
        change.field,
        f"changes the {change.field} of a published assessment from {change.old} to {change.new}; "
        "re-run with --correction-reason",
    )


def correction_reason(reason: str | None) -> Breach | None:
    """A correction reason, when given, says something."""
    if reason is None or reason.strip():
        return None
    return Breach(None, "the correction reason is empty: say why")
