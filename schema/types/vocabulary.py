"""The GraphQL enums of the domain's vocabulary, and the `lang` argument every label takes."""

from __future__ import annotations

from typing import Annotated

import strawberry

from ...domain import vocabulary

Lang = Annotated[str | None, strawberry.argument(description="A language code (en, fr, es, vi, id, km, ar, bn); default: Accept-Language, else English.")]

Cluster = strawberry.enum(vocabulary.Cluster, description="A cluster of the assessment tool's questions.")
FactoryType = strawberry.enum(vocabulary.FactoryType, description="What a factory makes.")
Modality = strawberry.enum(
    vocabulary.Modality,
    description="How an assessment was done. A VIRTUAL check asks a subset of questions: its findings may not be comprehensive.",
)
FindingStatus = strawberry.enum(vocabulary.FindingResult, name="FindingStatus")
ComplianceStatus = strawberry.enum(
    vocabulary.ComplianceStatus,
    description="GREEN: no publicly reported issue found non-compliant in the latest published assessment.",
)
