"""The fast path's node plan (schema/fastpath/node_plan.py): a list's nodes rendered by the
schema's own resolvers without graphql-core's execution.

The test suite runs in golden mode: every answer the fast path gives is compared byte for byte
with strawberry's own, and a difference is answered with 500. These tests make sure the plan
is what rendered the nodes of the shapes front-ends send (so the comparison covers it), and that
what the plan cannot render, strawberry renders, to the same bytes.
"""

from __future__ import annotations

import asyncio
from datetime import date
from enum import Enum

import pytest
import strawberry
from exports import all_compliant, assessment
from graphql import parse
from transparency_portal.resolvers.issues import catalogue
from transparency_portal.resolvers.loaders import Loaders
from transparency_portal.schema.build import schema
from transparency_portal.schema.fastpath.completion import Unrenderable
from transparency_portal.schema.fastpath.executor import CompiledExecutor
from transparency_portal.schema.fastpath.node_plan import Unsupported, compile_selection
from transparency_portal.schema.fastpath.plan import compile_plan
from transparency_portal.schema.fastpath.render import render_nodes
from transparency_portal.schema.fastpath.renderings import Renderings
from transparency_portal.schema.http.app import utc_now
from worlds import world

# (node selection, the fragments it spreads): each shape once in `edges` and once in `nodes`.
SHAPES = {
    "aliases, __typename and enums": (
        (
            "a: name b: name __typename kind: factoryType factoryType complianceStatus "
            "latestAssessment { __typename modality how: modality findings { status previousStatus: status issue { cluster } } }"
        ),
        "",
    ),
    "dates and nulls": (
        (
            "leftProgrammeOn country { publicReportingSince } latestAssessment { date "
            "findings { correction { reason correctedOn previousStatus } issue { description } } }"
        ),
        "",
    ),
    "nested lists and objects": (
        (
            "id latestAssessment { id findings { id status issue { id code cluster title } } "
            "nonCompliances { id issue { code } } factory { id name latestAssessment { cycle comprehensive } } } "
            "refusals { unexcused highlighted } nonComplianceCount"
        ),
        "",
    ),
    "localised labels": (
        (
            'factoryTypeLabel complianceStatusLabel fr: complianceStatusLabel(lang: "fr") '
            'latestAssessment { modalityLabel findings { statusLabel issue { title clusterLabel ar: title(lang: "ar") } } }'
        ),
        "",
    ),
    "fragments and literal directives": (
        (
            "...Names ... on Node { id } ... { refusals { unexcused } } latestAssessment { id } ...Assessment "
            "leftProgrammeOn @skip(if: true) country @include(if: false) { code } nonComplianceCount @include(if: true) "
            "name @skip(if: false)"
        ),
        (
            "fragment Names on Factory { name latestAssessment { date ...Cycle } } "
            "fragment Assessment on Factory { latestAssessment { findings { status } ...Cycle } } "
            "fragment Cycle on Assessment { cycle }"
        ),
    ),
}


def executor(app) -> CompiledExecutor:
    layer = app.middleware_stack
    while not isinstance(layer, CompiledExecutor):
        layer = layer.app
    return layer


def list_query(selection: str, fragments: str) -> str:
    return f"{{ factories(first: 100) {{ edges {{ cursor node {{ {selection} }} }} nodes {{ {selection} }} }} }} {fragments}"


async def corrected_world(load) -> None:
    await load(world())
    corrected = world()
    corrected["assessments"] = [assessment("KH-NC-A2", "KH-NC", 3, 100, all_compliant())]  # COM-2 was NON_COMPLIANT
    for section in ("factories", "cycles", "refusals", "questions", "countries"):
        corrected.pop(section, None)
    await load(corrected, correction_reason="Payroll re-examined: inaccurate at collection")


async def by_plan(api, query: str, **kwargs) -> dict:
    """The answer, which must have come from the fast path with every node it rendered rendered
    by the node plan; golden mode has compared it with strawberry's."""
    before = executor(api.app).answered if api.app.middleware_stack else 0
    response = await api.post(query, **kwargs)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    compiled = executor(api.app)
    assert compiled.answered == before + 1 and compiled.mismatches == []
    assert compiled.pages.planned == compiled.pages.rendered > 0
    return body["data"]


@pytest.mark.parametrize("shape", SHAPES)
async def test_nodes_of_every_shape_are_rendered_by_the_plan_as_strawberry_renders_them(api, load, shape):
    await corrected_world(load)
    data = (await by_plan(api, list_query(*SHAPES[shape])))["factories"]
    assert [edge["node"] for edge in data["edges"]] == data["nodes"] and len(data["nodes"]) > 5


async def test_the_shapes_hold_what_they_are_meant_to(api, load):
    """The data the shapes above are compared on has dates, nulls, corrections and enums."""
    await corrected_world(load)
    nodes = (await by_plan(api, list_query(*SHAPES["dates and nulls"])))["factories"]["nodes"]
    corrections = [f["correction"] for n in nodes for f in n["latestAssessment"]["findings"] if f["correction"]]
    assert corrections and corrections[0]["previousStatus"] == "NON_COMPLIANT"
    assert any(n["leftProgrammeOn"] is None for n in nodes) and any(n["leftProgrammeOn"] for n in nodes)
    node = (await by_plan(api, list_query(*SHAPES["fragments and literal directives"])))["factories"]["nodes"][0]
    assert list(node) == ["name", "latestAssessment", "id", "refusals", "nonComplianceCount"]
    assert list(node["latestAssessment"]) == ["date", "cycle", "id", "findings"]


async def test_labels_follow_accept_language_by_plan(api, load):
    await load(world())
    query = list_query(*SHAPES["localised labels"])
    labels, french = {}, {}
    for language in ("en", "fr", "km"):
        nodes = (await by_plan(api, query, headers={"accept-language": language}))["factories"]["nodes"]
        labels[language] = [n["complianceStatusLabel"] for n in nodes]
        french[language] = [n["fr"] for n in nodes]  # `lang` wins over Accept-Language
    assert "Non-compliant" in labels["en"] and "Non conforme" in labels["fr"]
    assert labels["km"] != labels["en"] != labels["fr"]
    assert french["en"] == french["km"] == labels["fr"]


async def test_a_batch_the_plan_leaves_is_rendered_by_strawberry_to_the_same_bytes(sessions, load):
    """Loaders without the catalogue make the plan's `country` wait: strawberry renders that
    batch, and what it renders is what the plan renders when nothing waits."""
    await load(world())
    selection = 'id name country { code name } latestAssessment { findings { status statusLabel issue { code title(lang: "fr") } } }'
    plan = compile_plan(schema, frozenset({"first"}), f"{{ factories {{ nodes {{ {selection} }} }} }}", None)
    nodes = plan.roots[0][1].selection[0][2]
    assert nodes.plan is not None
    now = utc_now()
    views = [v for v in await Loaders(sessions, now.date()).factory.load_many(["KH-NC", "VN-1", "KH-REFUSED"]) if v]
    assert len(views) == 3
    render = {"sessions": sessions, "now": now, "clock": utc_now, "language": "fr"}
    planned = await render_nodes(nodes, views, catalogue=await catalogue(sessions), **render)
    left = await render_nodes(nodes, views, catalogue=({}, {}), **render)
    assert planned.by_plan and not left.by_plan
    assert planned.nodes == left.nodes


# A small schema of its own: what the plan leaves to strawberry, when it compiles and when it runs.


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


Paint = strawberry.enum(Colour)


class Denied(strawberry.BasePermission):
    message = "no"

    def has_permission(self, source, info, **kwargs) -> bool:
        return False


@strawberry.type
class Part:
    label: str
    made_on: date | None = None


@strawberry.type
class Thing:
    name: str
    colour: Paint
    parts: list[Part]
    nothing: str | None = None

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times

    @strawberry.field
    async def waits(self) -> str:
        await asyncio.sleep(0)
        return self.name

    @strawberry.field
    async def ready(self) -> str:
        return self.name

    @strawberry.field
    def reads_variables(self, info: strawberry.Info) -> str:
        return str(info.variable_values)

    @strawberry.field
    def missing(self) -> str:
        return None  # type: ignore[return-value]  # a null where the type forbids it

    @strawberry.field(permission_classes=[Denied])
    def guarded(self) -> str:
        return self.name


@strawberry.type
class Query:
    @strawberry.field
    def things(self, info: strawberry.Info) -> list[Thing]:
        return info.root_value


toy = strawberry.Schema(query=Query)
THINGS = [
    Thing(name="kettle", colour=Colour.RED, parts=[Part(label="lid", made_on=date(2024, 2, 29)), Part(label="spout")]),
    Thing(name="mug", colour=Colour.BLUE, parts=[]),
]


def toy_plan(selection: str, fragments: str = ""):
    document = parse(f"{{ things {{ {selection} }} }} {fragments}")
    fragment_definitions = {d.name.value: d for d in document.definitions[1:]}
    return compile_selection(toy, toy._schema.get_type("Thing"), document.definitions[0].selection_set.selections[0].selection_set, fragment_definitions)


async def test_the_plan_renders_what_strawberry_executes_on_a_schema_of_its_own():
    selection = (
        "__typename n: name name colour parts { label madeOn __typename } nothing loud: shout(times: 2) shout ready "
        "... on Thing { parts { label } } ...More"
    )
    fragments = "fragment More on Thing { colour again: colour }"
    result = await toy.execute(f"{{ things {{ {selection} }} }} {fragments}", root_value=THINGS)
    assert result.errors is None
    assert toy_plan(selection, fragments).render(THINGS, None) == result.data["things"]


@pytest.mark.parametrize("selection", ["waits", "readsVariables", "missing"])
async def test_what_the_plan_meets_and_cannot_render_is_left_to_strawberry(selection):
    plan = toy_plan("name " + selection)
    with pytest.raises(Unrenderable):
        plan.render(THINGS, None)
    await asyncio.sleep(0)  # the abandoned `waits` leaves nothing running


@pytest.mark.parametrize("selection", ["guarded", "... @defer { name }", "...Missing"])
def test_what_the_plan_cannot_compile_is_left_to_strawberry(selection):
    with pytest.raises(Unsupported):
        toy_plan(selection)


def test_a_plan_holds_no_context_after_a_render():
    plan = toy_plan("name readsVariables")
    context = object()
    with pytest.raises(Unrenderable):
        plan.render(THINGS, context)
    assert all(info.context is None for info in plan.infos) and plan.infos


def test_the_date_scalar_and_enums_are_the_schemas_own():
    rendered = toy_plan("colour parts { madeOn }").render(THINGS, None)
    assert rendered[0] == {"colour": "RED", "parts": [{"madeOn": "2024-02-29"}, {"madeOn": None}]}



def test_kept_renderings_read_most_stay_when_the_bound_is_reached():
    """Past the bound, the rendering read least recently goes, not the one kept first."""
    renderings = Renderings(max_bytes=12)
    page = renderings.group(("selection", "en"))
    renderings.put(page, 1, b"one.")
    renderings.put(page, 2, b"two.")
    assert renderings.found(page, [1, 2, 3]) == ([b"one.", b"two.", None], False)
    assert renderings.found(page, [1]) == ([b"one."], True)
    renderings.put(page, 3, b"thr.")
    renderings.put(page, 4, b"fou.")
    assert renderings.found(page, [1, 2, 3, 4]) == ([b"one.", None, b"thr.", b"fou."], False)
    # A group no longer asked for goes before the one in use.
    other = renderings.group(("selection", "fr"))
    renderings.put(other, 1, b"un..")
    renderings.group(("selection", "en"))
    renderings.put(page, 5, b"fiv.")
    assert renderings.found(other, [1]) == ([None], False) and renderings.size == 12
