"""Everything stored about a factory that its public view can depend on: its cycles,
assessments (with findings and corrections) and refusals, as `domain.publication` reads them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from .vocabulary import AssessmentStatus, FindingResult, Modality, RefusalExcuse


@dataclass(frozen=True)
class CycleFacts:
    number: int
    start: date
    end: date


@dataclass(frozen=True)
class CorrectionFacts:
    question_id: str
    reason: str
    corrected_on: date
    previous: FindingResult


@dataclass(frozen=True)
class AssessmentFacts:
    source_id: str
    cycle: int
    date: date
    modality: Modality
    status: AssessmentStatus
    published_on: date | None
    # Absent questions were not assessed (a virtual check asks a subset).
    results: Mapping[str, FindingResult]
    # Corrections of this assessment's findings, oldest first.
    corrections: Sequence[CorrectionFacts] = ()


@dataclass(frozen=True)
class RefusalFacts:
    date: date
    excuse: RefusalExcuse | None


@dataclass(frozen=True)
class FactoryFacts:
    """Everything stored about one factory that the public view can depend on."""

    source_id: str
    name: str
    factory_type: str
    country: str
    left_programme_on: date | None
    cycles: Sequence[CycleFacts]
    assessments: Sequence[AssessmentFacts]
    refusals: Sequence[RefusalFacts]
