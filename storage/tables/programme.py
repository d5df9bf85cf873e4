"""The programme's tables: the questions, the countries, and which questions each country
reports publicly (public reads use these beside the projection)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class QuestionRow(SQLModel, table=True):
    __tablename__ = "question"

    id: str = Field(primary_key=True, max_length=64)
    cluster: str = Field(max_length=40)
    # {"en": "...", "fr": "..."}: the export's localized texts, English always present.
    titles: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    descriptions: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class CountryRow(SQLModel, table=True):
    __tablename__ = "country"

    code: str = Field(primary_key=True, max_length=2)
    name: str
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    public_reporting_since: date | None = None


class CountryQuestionRow(SQLModel, table=True):
    """A question the country reports publicly, in the country's order."""

    __tablename__ = "country_question"

    country_code: str = Field(primary_key=True, foreign_key="country.code", max_length=2)
    question_id: str = Field(primary_key=True, foreign_key="question.id", max_length=64)
    position: int
