"""What is wrong with an export: `Problem` (one thing a check found wrong) and `ImportRejected`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..domain.errors import BadUserInput

# Problems shown in the text of an ImportRejected (all of them stay in `.problems`).
SHOWN_PROBLEMS = 50


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document: where (section, entry key, field) and what."""

    section: str | None
    key: str | None
    field: str | None
    message: str

    @property
    def location(self) -> str:
        where = self.section or ""
        if self.key is not None:
            where += f"[{self.key}]"
        if self.field:
            where += ("." if where else "") + self.field
        return where

    def __str__(self) -> str:
        where = self.location
        return f"{where}: {self.message}" if where else self.message


class ImportRejected(BadUserInput):
    """A document that cannot be imported as it is: nothing was written."""

    def __init__(self, problems: Sequence[Problem], source: str = "<document>") -> None:
        self.problems: list[Problem] = list(problems)
        self.source = source
        super().__init__(
            self._text(),
            source=source,
            problem_count=len(self.problems),
            problems=[str(p) for p in self.problems[:SHOWN_PROBLEMS]],
        )

    def _text(self) -> str:
        if len(self.problems) == 1:
            return f"{self.source}: {self.problems[0]}"
        lines = [f"{self.source}: {len(self.problems)} problems, nothing was imported:"]
        lines += [f"  {p}" for p in self.problems[:SHOWN_PROBLEMS]]
        if len(self.problems) > SHOWN_PROBLEMS:
            lines.append(f"  ... and {len(self.problems) - SHOWN_PROBLEMS} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message
