"""The schema as a contract: described everywhere, committed as `schema.graphql`, and changed
only in ways CHANGELOG.md lists. Every check reads the SDL the running server serves at
`/schema.graphql`, over real HTTP."""

from __future__ import annotations

import dataclasses
import difflib
import re
import subprocess
from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    ObjectTypeDefinitionNode,
    build_schema,
    find_breaking_changes,
    is_introspection_type,
    is_specified_scalar_type,
    parse,
    print_ast,
)

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "schema.graphql"
CHANGELOG = ROOT / "CHANGELOG.md"
REGENERATE = "python -m transparency_portal.schema.sdl > schema.graphql"

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def served(api) -> str:
    response = await api.client.get("/schema.graphql")
    assert response.status_code == 200
    return response.text


def undescribed(schema: GraphQLSchema) -> list[str]:
    """Every element of the schema without a description, by its coordinate (`Type.field(arg:)`).
    GraphQL's own scalars and the introspection types are the spec's, not ours."""
    missing: list[str] = []

    def check(coordinate: str, description: str | None) -> None:
        if not (description or "").strip():
            missing.append(coordinate)

    for name, named in schema.type_map.items():
        if is_introspection_type(named) or is_specified_scalar_type(named):
            continue
        check(name, named.description)
        if isinstance(named, (GraphQLObjectType, GraphQLInterfaceType)):
            for field_name, field in named.fields.items():
                check(f"{name}.{field_name}", field.description)
                for arg_name, arg in field.args.items():
                    check(f"{name}.{field_name}({arg_name}:)", arg.description)
        elif isinstance(named, GraphQLInputObjectType):
            for field_name, field in named.fields.items():
                check(f"{name}.{field_name}", field.description)
        elif isinstance(named, GraphQLEnumType):
            for value_name, value in named.values.items():
                check(f"{name}.{value_name}", value.description)
    for directive in schema.directives:
        if directive.ast_node is not None:  # ours, not the spec's (@skip, @include, ...)
            check(f"@{directive.name}", directive.description)
    return missing


def unreleased(changelog: str) -> str:
    """The `## [Unreleased]` section of a changelog (empty when it has none)."""
    found = re.search(r"^## \[?Unreleased\]?[^\n]*\n(.*?)(?=^## |\Z)", changelog, re.MULTILINE | re.DOTALL)
    return found.group(1) if found else ""


def unlisted_breaking_changes(old_sdl: str, new_sdl: str, changelog: str) -> list[str]:
    """graphql-core's breaking changes from `old_sdl` to `new_sdl` that the changelog's
    Unreleased section does not name (the rule at the top of CHANGELOG.md)."""
    listed = unreleased(changelog)
    changes = find_breaking_changes(build_schema(old_sdl), build_schema(new_sdl))
    return [change.description for change in changes if change.description not in listed]


def previous_schemas() -> dict[str, str]:
    """The schemas a change is judged against: the committed file, and git's HEAD copy."""
    baselines = {"schema.graphql": COMMITTED.read_text(encoding="utf-8")}
    try:
        head = subprocess.run(
            ["git", "show", "HEAD:schema.graphql"], check=False, cwd=ROOT, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return baselines  # no git here (e.g. a source archive): the committed file alone
    if head.returncode == 0:
        baselines["HEAD:schema.graphql"] = head.stdout
    return baselines


def without_field(sdl: str, type_name: str, field_name: str) -> str:
    """The same schema with one field taken out of one object type."""
    document = parse(sdl)
    definitions = []
    for definition in document.definitions:
        if isinstance(definition, ObjectTypeDefinitionNode) and definition.name.value == type_name:
            kept = tuple(f for f in definition.fields if f.name.value != field_name)
            assert len(kept) < len(definition.fields), f"{type_name}.{field_name} is not in the schema"
            definition = dataclasses.replace(definition, fields=kept)
        definitions.append(definition)
    return print_ast(dataclasses.replace(document, definitions=tuple(definitions)))


async def test_every_type_field_argument_and_enum_value_is_described(served):
    missing = undescribed(build_schema(served))
    assert not missing, (
        f"{len(missing)} schema elements have no description (GraphiQL's docs show them blank). Describe each in "
        "schema/types/ (strawberry.field(description=...), Annotated[..., strawberry.argument(description=...)], "
        "described_enum(...) or strawberry.enum_value(..., description=...)):\n  " + "\n  ".join(missing)
    )


async def test_the_served_schema_is_the_committed_one(served):
    committed = COMMITTED.read_text(encoding="utf-8")
    if served != committed:
        diff = "".join(difflib.unified_diff(
            committed.splitlines(keepends=True), served.splitlines(keepends=True), "schema.graphql (committed)", "/schema.graphql (served)",
        ))  # fmt: skip
        pytest.fail(
            f"The schema the server serves differs from schema.graphql. Regenerate it at the repository's root with\n"
            f"    {REGENERATE}\nand commit it with the change; list any breaking change in CHANGELOG.md.\n\n{diff[:6000]}"
        )


async def test_no_breaking_change_goes_unlisted_in_the_changelog(served):
    changelog = CHANGELOG.read_text(encoding="utf-8")
    for baseline, old in previous_schemas().items():
        unlisted = unlisted_breaking_changes(old, served, changelog)
        assert not unlisted, (
            f"Breaking changes against {baseline} that CHANGELOG.md's [Unreleased] section does not list. Deprecate "
            "instead (deprecation_reason=...), or list each, as worded here, under '### Breaking changes':\n"
            + "\n".join(f"- {description}" for description in unlisted)
        )


async def test_a_removed_field_is_caught_until_the_changelog_lists_it(served):
    changelog = CHANGELOG.read_text(encoding="utf-8")
    removed = without_field(served, "Factory", "name")

    assert unlisted_breaking_changes(served, removed, changelog) == ["Field Factory.name was removed."]
    listed = changelog.replace("## [Unreleased]\n", "## [Unreleased]\n\n### Breaking changes\n- Field Factory.name was removed.\n", 1)
    assert unlisted_breaking_changes(served, removed, listed) == []
    # Listed under a release already made, it does not count for the next one.
    released = changelog + "\n## [0.9.0] - 2026-01-01\n\n### Breaking changes\n- Field Factory.name was removed.\n"
    assert unlisted_breaking_changes(served, removed, released) == ["Field Factory.name was removed."]
    # Adding a field breaks nothing.
    assert unlisted_breaking_changes(removed, served, changelog) == []


async def test_an_undescribed_element_is_named(served):
    bare = served.replace('"""The factory\'s name as registered, in its own script and accents."""', "", 1)
    assert bare != served
    assert set(undescribed(build_schema(bare))) - set(undescribed(build_schema(served))) == {"Factory.name"}
