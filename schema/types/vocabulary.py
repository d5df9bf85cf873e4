"""The GraphQL enums of the domain's vocabulary, and the arguments many fields share (`lang`,
`first`, `after`), each with the description clients read in the schema."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Annotated, TypeVar

import strawberry

from ...domain import vocabulary
from ...domain.labels import LANGUAGES
from ...resolvers.paging import MAX_PAGE

E = TypeVar("E", bound=type[Enum])

Lang = Annotated[
    str | None,
    strawberry.argument(
        description=f"A language code ({', '.join(LANGUAGES)}). Default: the request's Accept-Language header, "
        "else English; an unknown code, or a missing translation, gives English."
    ),
]
First = Annotated[
    int | None,
    strawberry.argument(description=f"How many items the page holds: 0 to {MAX_PAGE} (BAD_USER_INPUT outside). Default 20; null also means 20."),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="The `endCursor` of the previous page, to get the page after it; none (the default) for the first page. "
        "A cursor belongs to the list and order it came from: one from another list or order is BAD_USER_INPUT."
    ),
]


def described_enum(cls: E, *, description: str, values: Mapping[str, str], name: str | None = None) -> E:
    """`strawberry.enum` over a domain enum, with a description for each of its values.

    `strawberry.enum_value` would have to be written inside the domain's class, which stays free
    of GraphQL; the descriptions are set on the definition strawberry builds instead. Every
    member needs one: a new member without a description stops the import."""
    members = {member.name for member in cls}
    if members != set(values):
        raise ValueError(f"{cls.__name__}: values without a description {sorted(members - set(values))}, unknown {sorted(set(values) - members)}")
    wrapped = strawberry.enum(cls, name=name, description=description)
    for value in wrapped.__strawberry_definition__.values:
        value.description = values[value.name]
    return wrapped


Cluster = described_enum(
    vocabulary.Cluster,
    description="A cluster of the assessment tool's compliance questions. The first four are the core labour standards.",
    values={
        "CHILD_LABOUR": "Child labour.",
        "FORCED_LABOUR": "Forced labour.",
        "DISCRIMINATION": "Discrimination.",
        "FREEDOM_OF_ASSOCIATION": "Freedom of association and collective bargaining.",
        "COMPENSATION": "Compensation: wages, overtime, benefits.",
        "CONTRACTS_AND_HUMAN_RESOURCES": "Contracts and human resources.",
        "OCCUPATIONAL_SAFETY_AND_HEALTH": "Occupational safety and health, emergency preparedness included.",
        "WORKING_TIME": "Working time.",
    },
)
FactoryType = described_enum(
    vocabulary.FactoryType,
    description="What a factory makes.",
    values={
        "APPAREL": "Garments.",
        "FOOTWEAR": "Shoes.",
        "TEXTILE": "Textiles (fabric, yarn).",
        "ACCESSORIES": "Accessories.",
        "OTHER": "Any other product.",
    },
)
Modality = described_enum(
    vocabulary.Modality,
    description="How an assessment was done.",
    values={
        "ONSITE": "At the factory.",
        "VIRTUAL": "A virtual compliance check: remote, asking a subset of the questions, so its findings may not be comprehensive.",
        "HYBRID": "Partly at the factory, partly remote.",
    },
)
FindingStatus = described_enum(
    vocabulary.FindingResult,
    name="FindingStatus",
    description="What an assessment found on one compliance question.",
    values={
        "COMPLIANT": "The factory complied.",
        "NON_COMPLIANT": "The factory did not comply.",
        "NOT_ASSESSED": "The question was not asked or could not be answered (a virtual check asks a subset).",
    },
)
ComplianceStatus = described_enum(
    vocabulary.ComplianceStatus,
    description="A factory's standing by its latest published assessment, on the issues its country reports publicly.",
    values={
        "GREEN": "No publicly reported issue found non-compliant.",
        "NON_COMPLIANT": "At least one publicly reported issue found non-compliant.",
    },
)
