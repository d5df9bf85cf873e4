"""The depth and alias limits as validation rules built once, so that strawberry's
ValidationCache can hit.

`QueryDepthLimiter(max_depth=N)` and `MaxAliasesLimiter(N)` build a new rule class in every
instance, and the schema makes a fresh instance per request (as it should: instances are not
to be shared). The validation cache is keyed by the rule classes too, so with them every request
validated its document again (about 3 ms for a queue page of 20 with flags and history). These
extensions pass the same classes to every request."""

from __future__ import annotations

from strawberry.extensions import AddValidationRules
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

MAX_DEPTH = 12
MAX_ALIASES = 30

_DEPTH_RULE = depth_rule(MAX_DEPTH, None)
_ALIAS_RULE = alias_rule(MAX_ALIASES)


class DepthLimit(AddValidationRules):
    """strawberry's QueryDepthLimiter(max_depth=MAX_DEPTH), with one rule class for every request."""

    def __init__(self) -> None:
        super().__init__([_DEPTH_RULE])


class AliasLimit(AddValidationRules):
    """strawberry's MaxAliasesLimiter(MAX_ALIASES), with one rule class for every request."""

    def __init__(self) -> None:
        super().__init__([_ALIAS_RULE])
