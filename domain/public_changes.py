"""The change feed's words: the kinds of change to a factory's public record, and how they are
read off two records of it, what the feed last said and what the public sees now.

A factory's public record (`PublicRecord`) is exactly what the public sees of it on a day: its
public view (`domain.publication`) and the approved responses to that view's assessment (the
only ones public, `domain.responses`). The feed describes the steps between two records and
never more than the later one shows (a removed response is named by its id only; an embargoed
assessment is not in any record before its day). Replaying the feed from its start therefore
gives the set of public factories: a factory is public exactly when its last entry is not
FACTORY_UNPUBLISHED, which is why that entry comes after its responses' own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

from .publication import PublicAssessment, PublicFactory


class ChangeKind(StrEnum):
    # The factory became public (rule 1, or back after a correction of its record).
    FACTORY_PUBLISHED = "FACTORY_PUBLISHED"
    # A newer assessment is now the factory's latest published one.
    ASSESSMENT_PUBLISHED = "ASSESSMENT_PUBLISHED"
    # A finding of the current assessment was corrected (rule 6).
    FINDING_CORRECTED = "FINDING_CORRECTED"
    # Anything else of the public record changed (name, refusals highlighted, exit date, ...).
    FACTORY_UPDATED = "FACTORY_UPDATED"
    RESPONSE_PUBLISHED = "RESPONSE_PUBLISHED"
    # A public response left public view: removed, or gone with its assessment or its factory.
    RESPONSE_UNPUBLISHED = "RESPONSE_UNPUBLISHED"
    # The factory left public view (rule 5's last day passed, or its record no longer qualifies).
    FACTORY_UNPUBLISHED = "FACTORY_UNPUBLISHED"


@dataclass(frozen=True, order=True)
class PublicResponse:
    """An approved response to the factory's current assessment: its id, and the finding (question)
    it answers, None for the assessment as a whole."""

    response_id: str
    question_id: str | None


@dataclass(frozen=True)
class PublicRecord:
    view: PublicFactory
    responses: frozenset[PublicResponse] = frozenset()

    def to_json(self) -> dict[str, Any]:
        v = self.view
        return {
            "factory": {
                "id": v.source_id, "name": v.name, "type": v.factory_type, "country": v.country,
                "left": _iso(v.left_programme_on), "until": _iso(v.visible_until), "refusals": v.unexcused_refusals,
                "assessment": v.to_document(),
            },
            "responses": [[r.response_id, r.question_id] for r in sorted(self.responses)],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PublicRecord:
        f = data["factory"]
        view = PublicFactory(
            source_id=f["id"], name=f["name"], factory_type=f["type"], country=f["country"],
            left_programme_on=_day(f["left"]), latest=PublicFactory.assessment_from_document(f["assessment"]),
            unexcused_refusals=f["refusals"], visible_until=_day(f["until"]),
        )
        return cls(view, frozenset(PublicResponse(r, q) for r, q in data["responses"]))


@dataclass(frozen=True)
class Change:
    """One entry of the feed, with what the public saw at the time: the factory's name and country,
    and its number of non-compliances (for titles); the ids are source ids."""

    kind: ChangeKind
    factory_id: str
    country: str
    name: str
    non_compliances: int
    assessment_id: str | None = None
    question_id: str | None = None
    response_id: str | None = None


def changes_between(before: PublicRecord | None, after: PublicRecord | None) -> list[Change]:
    """The entries that take the feed from `before` (what it last said of a factory; None: not
    public) to `after` (what the public sees now), in the order a reader should apply them."""
    if before is None and after is None:
        return []
    if before is None:
        return [_of(ChangeKind.FACTORY_PUBLISHED, after.view), *_responses(ChangeKind.RESPONSE_PUBLISHED, after, after.responses)]
    if after is None:
        gone = _responses(ChangeKind.RESPONSE_UNPUBLISHED, before, before.responses)
        return [*gone, _of(ChangeKind.FACTORY_UNPUBLISHED, before.view, assessment=False)]
    changes = _responses(ChangeKind.RESPONSE_UNPUBLISHED, before, before.responses - after.responses)
    changes += _record_changes(before.view, after.view)
    changes += _responses(ChangeKind.RESPONSE_PUBLISHED, after, after.responses - before.responses)
    return changes


def _record_changes(old: PublicFactory, new: PublicFactory) -> list[Change]:
    if old.latest.source_id != new.latest.source_id:
        if _newer(new.latest, old.latest):
            found = [_of(ChangeKind.ASSESSMENT_PUBLISHED, new)]
            # The assessment brings its own refusal count; the factory's own fields are news apart.
            if _identity(old) != _identity(new):
                found.append(_of(ChangeKind.FACTORY_UPDATED, new))
            return found
        return [_of(ChangeKind.FACTORY_UPDATED, new)]  # an older one is latest again (a record corrected)
    previous = {f.question_id: f for f in old.latest.findings}
    corrected = [
        f for f in new.latest.findings
        if f.correction is not None and (p := previous.get(f.question_id)) is not None and p.correction != f.correction
    ]
    found = [_of(ChangeKind.FINDING_CORRECTED, new, question=f.question_id) for f in corrected]
    # What is left once the corrections are applied to the old record: any other difference.
    fixed = {f.question_id: f for f in corrected}
    patched = replace(old.latest, findings=tuple(fixed.get(f.question_id, f) for f in old.latest.findings))
    if _public_fields(replace(old, latest=patched)) != _public_fields(new):
        found.append(_of(ChangeKind.FACTORY_UPDATED, new))
    return found


def _newer(a: PublicAssessment, b: PublicAssessment) -> bool:
    return (a.date, a.source_id) > (b.date, b.source_id)


def _identity(v: PublicFactory) -> tuple:
    return v.name, v.factory_type, v.country, v.left_programme_on


def _public_fields(v: PublicFactory) -> tuple:
    # `visible_until` is not shown (rule 5 applies it): a cycle's end alone changes nothing public.
    return (*_identity(v), v.latest, v.unexcused_refusals)


def _of(kind: ChangeKind, view: PublicFactory, *, assessment: bool = True, question: str | None = None) -> Change:
    return Change(
        kind, view.source_id, view.country, view.name, view.non_compliance_count,
        assessment_id=view.latest.source_id if assessment else None, question_id=question,
    )


def _responses(kind: ChangeKind, record: PublicRecord, responses: frozenset[PublicResponse]) -> list[Change]:
    view = record.view
    return [
        Change(
            kind, view.source_id, view.country, view.name, view.non_compliance_count,
            assessment_id=view.latest.source_id, question_id=r.question_id, response_id=r.response_id,
        )
        for r in sorted(responses)
    ]


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
