"""Plans of the compiled executor: a public list query turned once into plain functions.

graphql-core resolves every field of every object through awaitables and checks (about 5 us a
field); a page of 100 factories with their findings has some 25,000 fields. A plan walks the
same selection with one plain function per field, over the same domain objects and with the
same labels and ids as the resolvers in `types.py`, and the nodes it renders are kept as JSON
bytes (`compiled.py`). Only a subset compiles, the shape front-ends send for the factory list:

- one query operation (named as `operationName` asks, if it does), no fragments, no directives;
- root fields `factories` (arguments as literals or variables) and `__typename`;
- below it, the fields of `FIELDS`, with aliases; `lang` arguments as literals only;
- no response key twice in one selection (graphql-core would merge them).

Anything else raises `Unsupported` and strawberry answers as always. The compiled answer must be
byte for byte strawberry's: in golden mode (`PORTAL_COMPILED_CHECK=1`, on in the test suite)
every compiled answer is compared with strawberry's own, see `compiled.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    parse,
)

from ..domain.labels import label, negotiate
from ..domain.vocabulary import FactoryType
from ..domain.programme import CountryProgramme, Question
from ..resolvers.ids import to_global


class Unsupported(Exception):
    """This document (or request) is not for the compiled executor: strawberry answers it."""


@dataclass(frozen=True)
class Env:
    """What rendering needs besides its source object."""

    language: str  # from Accept-Language; a literal `lang` argument wins
    questions: Mapping[str, Question]
    countries: Mapping[str, CountryProgramme]
    # Renderings of shared objects (an issue, a country) for one data version: see `_shared`.
    shared: dict[tuple, Any]


Getter = Callable[[Any, Env], Any]


@dataclass(frozen=True, eq=False)
class ObjectPlan:
    """The response keys of one selection and how to get each value from the source."""

    fields: tuple[tuple[str, Getter], ...]

    def render(self, source: Any, env: Env) -> dict[str, Any]:
        return {key: get(source, env) for key, get in self.fields}


@dataclass(frozen=True, eq=False)
class EdgePlan:
    """An edge's selection as (key, what, plan): `cursor`, `node` (an ObjectPlan), `__typename`."""

    selection: tuple[tuple[str, str, Any], ...]


@dataclass(frozen=True)
class ConnectionPlan:
    """One root `factories` field: its node for arguments, and its selection as (key, what, plan)
    with `what` one of edges (an EdgePlan), nodes (an ObjectPlan), pageInfo, totalCount, __typename."""

    key: str
    field: FieldNode
    selection: tuple[tuple[str, str, Any], ...]


@dataclass(frozen=True, eq=False)
class Plan:
    document: DocumentNode
    operation: OperationDefinitionNode
    roots: tuple[tuple[str, ConnectionPlan | None], ...]  # None: `__typename`


@lru_cache(maxsize=512)
def compile_plan(query: str, operation_name: str | None) -> Plan:
    """The plan of a document; raises Unsupported. Only documents strawberry has answered without
    errors are ever run by plan (`compiled.py`), so validity is not checked here."""
    try:
        document = parse(query)
    except GraphQLError as error:
        raise Unsupported("does not parse") from error
    if len(document.definitions) != 1 or not isinstance(document.definitions[0], OperationDefinitionNode):
        raise Unsupported("one operation, no fragments")
    operation = document.definitions[0]
    if operation.operation is not OperationType.QUERY or operation.directives:
        raise Unsupported("not a plain query")
    if operation_name is not None and (operation.name is None or operation.name.value != operation_name):
        raise Unsupported("another operation name")
    if any(v.directives for v in operation.variable_definitions or ()):
        raise Unsupported("directives")
    roots = []
    for node in _fields(operation.selection_set):
        name = node.name.value
        if name == "__typename":
            _no_arguments(node)
            roots.append((_key(node), None))
        elif name == "factories":
            roots.append((_key(node), _connection(node)))
        else:
            raise Unsupported(f"root field {name}")
    return Plan(document, operation, tuple(roots))


def _fields(selection_set: SelectionSetNode | None) -> list[FieldNode]:
    if selection_set is None:
        raise Unsupported("an object needs a selection")
    fields = []
    for selection in selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.directives:
            raise Unsupported("fragments and directives")
        fields.append(selection)
    keys = [_key(f) for f in fields]
    if len(set(keys)) != len(keys):
        raise Unsupported("a response key twice")
    return fields


def _key(node: FieldNode) -> str:
    return node.alias.value if node.alias else node.name.value


def _no_arguments(node: FieldNode) -> None:
    if node.arguments:
        raise Unsupported(f"arguments on {node.name.value}")


def _lang(node: FieldNode) -> str | None:
    """A literal `lang` argument (None when absent or null); variables are not compiled."""
    lang = None
    for argument in node.arguments or ():
        if argument.name.value != "lang":
            raise Unsupported(f"argument {argument.name.value}")
        if isinstance(argument.value, StringValueNode):
            lang = argument.value.value
        elif not isinstance(argument.value, NullValueNode):
            raise Unsupported("lang from a variable")
    return lang


def _language(lang: str | None, env: Env) -> str:
    # As Context.language_for: the field's own `lang` wins over Accept-Language.
    return negotiate(None, lang) if lang else env.language


def _connection(node: FieldNode) -> ConnectionPlan:
    selection = []
    for field in _fields(node.selection_set):
        name, key = field.name.value, _key(field)
        if name in ("edges", "nodes"):
            _no_arguments(field)
            selection.append((key, name, _edge(field) if name == "edges" else _object(field, "Factory")))
        elif name == "pageInfo":
            selection.append((key, name, _object(field, "PageInfo")))
        elif name in ("totalCount", "__typename"):
            _no_arguments(field)
            selection.append((key, name, None))
        else:
            raise Unsupported(f"FactoryConnection.{name}")
    return ConnectionPlan(_key(node), node, tuple(selection))


def _edge(node: FieldNode) -> EdgePlan:
    selection = []
    for field in _fields(node.selection_set):
        name = field.name.value
        _no_arguments(field)
        if name == "node":
            selection.append((_key(field), name, _object(field, "Factory")))
        elif name in ("cursor", "__typename"):
            selection.append((_key(field), name, None))
        else:
            raise Unsupported(f"FactoryEdge.{name}")
    return EdgePlan(tuple(selection))


def _object(node: FieldNode, type_name: str) -> ObjectPlan:
    _no_arguments(node)
    fields = []
    for field in _fields(node.selection_set):
        build = FIELDS[type_name].get(field.name.value)
        if build is None:
            raise Unsupported(f"{type_name}.{field.name.value}")
        fields.append((_key(field), build(field)))
    return ObjectPlan(tuple(fields))


def _plain(get: Callable[[Any], Any]) -> Callable[[FieldNode], Getter]:
    def build(node: FieldNode) -> Getter:
        _no_arguments(node)
        return lambda source, env: get(source)

    return build


def _labelled(value: Callable[[Any], str]) -> Callable[[FieldNode], Getter]:
    def build(node: FieldNode) -> Getter:
        lang = _lang(node)
        return lambda source, env: label(value(source), _language(lang, env))

    return build


def _translated(text: Callable[[Any, str], Any]) -> Callable[[FieldNode], Getter]:
    def build(node: FieldNode) -> Getter:
        lang = _lang(node)
        return lambda source, env: text(source, _language(lang, env))

    return build


def _child(type_name: str, pick: Callable[[Any, Env], Any]) -> Callable[[FieldNode], Getter]:
    """An object field; `pick` gives its source, or None for null."""

    def build(node: FieldNode) -> Getter:
        plan = _object(node, type_name)

        def get(source: Any, env: Env) -> Any:
            child = pick(source, env)
            return None if child is None else plan.render(child, env)

        return get

    return build


def _shared(type_name: str, pick: Callable[[Any, Env], Any], key: Callable[[Any], str]) -> Callable[[FieldNode], Getter]:
    """An object field whose source many objects share (a finding's issue, a factory's country):
    rendered once per data version and language, then the same dict is reused."""

    def build(node: FieldNode) -> Getter:
        plan = _object(node, type_name)

        def get(source: Any, env: Env) -> Any:
            child = pick(source, env)
            memo_key = (plan, key(child), env.language)
            rendered = env.shared.get(memo_key)
            if rendered is None:
                rendered = env.shared[memo_key] = plan.render(child, env)
            return rendered

        return get

    return build


def _children(type_name: str, pick: Callable[[Any], Any]) -> Callable[[FieldNode], Getter]:
    def build(node: FieldNode) -> Getter:
        plan = _object(node, type_name)
        return lambda source, env: [plan.render(child, env) for child in pick(source)]

    return build


def _typename(name: str) -> Callable[[FieldNode], Getter]:
    return _plain(lambda _source: name)


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


# Sources: Factory, Assessment and Refusals get the PublicFactory, Finding an (assessment,
# finding) pair, ComplianceIssue a Question, Country a CountryProgramme, PageInfo a PageInfo.
FIELDS: dict[str, dict[str, Callable[[FieldNode], Getter]]] = {
    "Factory": {
        "__typename": _typename("Factory"),
        "id": _plain(lambda f: to_global("Factory", f.source_id)),
        "name": _plain(lambda f: f.name),
        "factoryType": _plain(lambda f: FactoryType(f.factory_type).name),
        "factoryTypeLabel": _labelled(lambda f: f.factory_type),
        "country": _shared("Country", lambda f, env: env.countries[f.country], lambda c: c.code),
        "complianceStatus": _plain(lambda f: f.compliance_status.name),
        "complianceStatusLabel": _labelled(lambda f: f.compliance_status.value),
        "nonComplianceCount": _plain(lambda f: f.non_compliance_count),
        "latestAssessment": _child("Assessment", lambda f, env: f),
        "refusals": _child("Refusals", lambda f, env: f),
        "leftProgrammeOn": _plain(lambda f: _iso(f.left_programme_on)),
    },
    "Country": {
        "__typename": _typename("Country"),
        "code": _plain(lambda c: c.code),
        "name": _plain(lambda c: c.name),
        "publicReportingSince": _plain(lambda c: _iso(c.public_reporting_since)),
    },
    "Assessment": {
        "__typename": _typename("Assessment"),
        "id": _plain(lambda f: to_global("Assessment", f.latest.source_id)),
        "date": _plain(lambda f: f.latest.date.isoformat()),
        "modality": _plain(lambda f: f.latest.modality.name),
        "modalityLabel": _labelled(lambda f: f.latest.modality.value),
        "cycle": _plain(lambda f: f.latest.cycle),
        "comprehensive": _plain(lambda f: f.latest.comprehensive),
        "findings": _children("Finding", lambda f: [(f.latest, x) for x in f.latest.findings]),
        "nonCompliances": _children("Finding", lambda f: [(f.latest, x) for x in f.latest.non_compliances]),
        "factory": _child("Factory", lambda f, env: f),
    },
    "Refusals": {
        "__typename": _typename("Refusals"),
        "unexcused": _plain(lambda f: f.unexcused_refusals),
        "highlighted": _plain(lambda f: f.refusals_highlighted),
    },
    "Finding": {
        "__typename": _typename("Finding"),
        "id": _plain(lambda af: to_global("Finding", f"{af[0].source_id}/{af[1].question_id}")),
        "issue": _shared("ComplianceIssue", lambda af, env: env.questions[af[1].question_id], lambda q: q.id),
        "status": _plain(lambda af: af[1].status.name),
        "statusLabel": _labelled(lambda af: af[1].status.value),
        "correction": _child("Correction", lambda af, env: af[1].correction),
    },
    "Correction": {
        "__typename": _typename("Correction"),
        "reason": _plain(lambda c: c.reason),
        "correctedOn": _plain(lambda c: c.corrected_on.isoformat()),
        "previousStatus": _plain(lambda c: c.previous_status.name),
    },
    "ComplianceIssue": {
        "__typename": _typename("ComplianceIssue"),
        "id": _plain(lambda q: to_global("ComplianceIssue", q.id)),
        "code": _plain(lambda q: q.id),
        "title": _translated(lambda q, language: q.title(language)),
        "cluster": _plain(lambda q: q.cluster.name),
        "clusterLabel": _translated(lambda q, language: label(q.cluster.value, language)),
        "description": _translated(lambda q, language: q.description(language)),
    },
    "PageInfo": {
        "__typename": _typename("PageInfo"),
        "hasNextPage": _plain(lambda p: p.has_next_page),
        "hasPreviousPage": _plain(lambda p: p.has_previous_page),
        "startCursor": _plain(lambda p: p.start_cursor),
        "endCursor": _plain(lambda p: p.end_cursor),
    },
}
