"""Strawberry's own scalars (`Date`, `DateTime`, `Upload`), as they are, with descriptions that
say what a client sends and gets: `Schema(scalar_overrides=SCALARS)`."""

from __future__ import annotations

import dataclasses
import datetime

from strawberry.file_uploads import Upload
from strawberry.schema.types.scalar import DEFAULT_SCALAR_REGISTRY

DESCRIPTIONS = {
    datetime.date: "A calendar day, ISO 8601 `YYYY-MM-DD` (e.g. 2024-03-31), without time or time zone.",
    datetime.datetime: "A moment, ISO 8601 with its offset (e.g. 2024-03-31T09:30:00+00:00); the API answers in UTC.",
    Upload: "A file of a GraphQL multipart request (graphql-multipart-request-spec); only `submitResponse` takes files.",
}

SCALARS = {scalar: dataclasses.replace(DEFAULT_SCALAR_REGISTRY[scalar], description=text) for scalar, text in DESCRIPTIONS.items()}
