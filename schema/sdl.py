"""The schema in SDL, exactly as `/schema.graphql` serves it. The copy committed at the
repository's root is regenerated with

    python -m transparency_portal.schema.sdl > schema.graphql

and tests/api/test_schema_contract.py fails while the two differ (see CHANGELOG.md for breaking
changes)."""

from __future__ import annotations

import sys

import strawberry


def sdl_text(schema: strawberry.Schema) -> str:
    return schema.as_str() + "\n"


if __name__ == "__main__":
    from .build import schema

    sys.stdout.write(sdl_text(schema))
