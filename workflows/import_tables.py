"""The record's tables as Core `Table`s: an import reads and writes them in bulk, not as models."""

from __future__ import annotations

from ..storage.tables.programme import CountryQuestionRow, CountryRow, QuestionRow
from ..storage.tables.record import (
    AssessmentRow,
    CorrectionRow,
    CycleRow,
    FactoryRow,
    FindingRow,
    ImportRunRow,
    RefusalRow,
)

QUESTION = QuestionRow.__table__
COUNTRY = CountryRow.__table__
COUNTRY_QUESTION = CountryQuestionRow.__table__
FACTORY = FactoryRow.__table__
CYCLE = CycleRow.__table__
ASSESSMENT = AssessmentRow.__table__
FINDING = FindingRow.__table__
REFUSAL = RefusalRow.__table__
CORRECTION = CorrectionRow.__table__
IMPORT_RUN = ImportRunRow.__table__
