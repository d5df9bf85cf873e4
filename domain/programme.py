"""Country programmes and the questions of the assessment tool, as the public sees them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from .vocabulary import Cluster

DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Question:
    id: str
    cluster: Cluster
    titles: Mapping[str, str]
    descriptions: Mapping[str, str]

    def title(self, language: str = DEFAULT_LANGUAGE) -> str:
        return self.titles.get(language) or self.titles[DEFAULT_LANGUAGE]

    def description(self, language: str = DEFAULT_LANGUAGE) -> str | None:
        return self.descriptions.get(language) or self.descriptions.get(DEFAULT_LANGUAGE)


@dataclass(frozen=True)
class CountryProgramme:
    code: str
    name: str
    languages: tuple[str, ...]
    public_reporting_since: date | None
    # The issues reported publicly there, agreed with its tripartite advisory committee.
    public_questions: tuple[str, ...]
