"""The documents in import order: `generate_demo`, with the reference document (questions and
countries) and the factory documents.
"""

from __future__ import annotations

from datetime import date

from .corrections import _corrections
from .countries import COUNTRIES, CountrySpec, _public_ids, _reporting_since
from .exports import DemoExport, _document
from .factories import FactoryData, _factories
from .question_tables import TITLE_TRANSLATIONS
from .questions import QUESTIONS, Question


def _question_entry(question: Question) -> dict:
    entry = {"id": question.id, "cluster": question.cluster, "title": {"en": question.title}}
    entry["title"].update(TITLE_TRANSLATIONS.get(question.key, {}))
    if question.description:
        entry["description"] = {"en": question.description}
    return entry


def _country_entry(country: CountrySpec, as_of: date) -> dict:
    return {
        "code": country.code, "name": country.name, "languages": list(country.languages),
        "publicReportingSince": _reporting_since(country, as_of).isoformat(),
        "publicQuestions": _public_ids(country),
    }


def _reference_document(exported_at: str, as_of: date) -> DemoExport:
    return DemoExport(_document(
        exported_at,
        questions=[_question_entry(q) for q in QUESTIONS],
        countries=[_country_entry(c, as_of) for c in COUNTRIES],
    ))


def _factory_document(exported_at: str, batch: list[FactoryData]) -> DemoExport:
    return DemoExport(_document(
        exported_at,
        factories=[d.factory for d in batch],
        cycles=[c for d in batch for c in d.cycles],
        assessments=[a for d in batch for a in d.assessments],
        refusals=[r for d in batch for r in d.refusals],
    ))


def generate_demo(factories: int = 1700, seed: int = 20261125, as_of: date | None = None,
                  chunk: int = 100) -> list[DemoExport]:
    """Demo export documents, to import in list order, each in its own transaction.

    Document 0 holds the questions and countries; then come documents of at most `chunk`
    factories with their cycles, assessments and refusals; last, documents with a
    `correction_reason` that re-send a few published assessments with one finding corrected.
    """
    if factories < 0:
        raise ValueError("factories must not be negative")
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    as_of = as_of or date.today()
    exported_at = f"{as_of.isoformat()}T06:00:00Z"
    data = _factories(factories, seed, as_of)
    exports = [_reference_document(exported_at, as_of)]
    exports += [_factory_document(exported_at, data[i:i + chunk]) for i in range(0, len(data), chunk)]
    exports += _corrections(data, seed, exported_at)
    return exports
