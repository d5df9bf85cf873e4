"""What a node plan (`node_plan.py`) does at run time, for each field: get its value as strawberry
would, and complete it as graphql-core would. What it cannot do as they would raises
`Unrenderable`, and strawberry renders the batch (`render.py`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial
from typing import Any

from graphql import Undefined
from graphql.pyutils import is_awaitable, is_iterable

Render = Callable[[Any], Any]

# Values a leaf resolver returns most: no need to ask whether they are awaitable.
_PLAIN = frozenset({str, int, bool, float})


class Unrenderable(Exception):
    """This batch is not for the plan: strawberry renders it (and reports its errors, if any)."""


class Path:
    """`info.path` as graphql-core gives it to a field: its key and its parent's type name."""

    __slots__ = ("key", "typename")

    def __init__(self, key: str, typename: str) -> None:
        self.key = key
        self.typename = typename

    def __getattr__(self, name: str) -> Any:  # `prev` and the rest: only graphql-core has them
        raise Unrenderable(f"info.path.{name}")


class PlanInfo:
    """What the plan gives a resolver that asks for `info`. `context` is set for the length of one
    (synchronous) `NodePlan.render`; any other attribute sends the batch to strawberry."""

    __slots__ = ("context", "field_name", "path", "python_name")

    def __init__(self, field_name: str, python_name: str, path: Path) -> None:
        self.context = None
        self.field_name = field_name
        self.python_name = python_name
        self.path = path

    def __getattr__(self, name: str) -> Any:
        raise Unrenderable(f"info.{name}")


def settled(get: Render) -> Render:
    """An async resolver run at once: its value when it completes without waiting (a primed
    loader's), else Unrenderable."""

    def run(source: Any) -> Any:
        coroutine = get(source)
        try:
            waiting = coroutine.send(None)
        except StopIteration as done:
            return done.value
        # A future handed over is marked so; strawberry awaits the same loader's future next.
        if getattr(waiting, "_asyncio_future_blocking", False):
            waiting._asyncio_future_blocking = False
        coroutine.close()
        raise Unrenderable("a resolver waits")

    return run


def with_source(call: Callable[..., Any], name: str, keywords: dict[str, Any]) -> Render:
    """A resolver that takes its source as `root` or `parent`: by keyword as strawberry passes
    it, or positionally when that parameter comes first and may be."""
    parameters = list(inspect.signature(call).parameters.values())
    if parameters and parameters[0].name == name and parameters[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
        return partial(call, **keywords)
    return lambda source: call(**keywords, **{name: source})


def null_or_refused(nullable: bool) -> None:
    if not nullable:
        raise Unrenderable("null where the type forbids it")


def complete_leaf(coerce: Callable[[Any], Any], nullable: bool) -> Render:
    def complete(value: Any) -> Any:
        if value is None:
            return null_or_refused(nullable)
        if value.__class__ not in _PLAIN and is_awaitable(value):
            raise Unrenderable("an awaitable from a synchronous resolver")
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise Unrenderable("a leaf that coerces to null")
        return coerced

    return complete


def complete_enum(enum_type, nullable: bool) -> Render:
    """The enum's own coercion, remembered per member of its Python enum (strawberry's looks
    through the values each time); any other value coerced every time."""
    leaf = complete_leaf(enum_type.coerce_output_value, nullable)
    members = getattr(enum_type, "wrapped_cls", None)
    if members is None:
        return leaf
    names: dict[Any, Any] = {}

    def complete(value: Any) -> Any:
        if value.__class__ is not members:
            return leaf(value)
        try:
            return names[value]
        except KeyError:
            name = names[value] = leaf(value)
            return name

    return complete


def complete_list(item: Render, nullable: bool) -> Render:
    def complete(value: Any) -> list[Any] | None:
        if value is None:
            return null_or_refused(nullable)
        if not is_iterable(value):
            raise Unrenderable("not a list")
        return [item(element) for element in value]

    return complete


def complete_object(render: Render, is_type_of: Callable[[Any, Any], bool] | None, nullable: bool) -> Render:
    def complete(value: Any) -> Any:
        if value is None:
            return null_or_refused(nullable)
        if is_type_of is None:
            if is_awaitable(value):
                raise Unrenderable("an awaitable from a synchronous resolver")
        elif not is_type_of(value, None):  # strawberry's own, which ignores info
            raise Unrenderable("a value of another type")
        return render(value)

    return complete
