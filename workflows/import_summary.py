"""What an import did (or, for a dry run, would do): counts per section, corrections, text and JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..domain.import_rules import Correction
from .import_format import SECTIONS


@dataclass
class SectionCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class FindingCounts:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted


@dataclass
class ImportSummary:
    source: str = "<document>"
    sections: dict[str, SectionCounts] = field(default_factory=lambda: {s: SectionCounts() for s in SECTIONS})
    findings: FindingCounts = field(default_factory=FindingCounts)
    corrections: list[Correction] = field(default_factory=list)
    # Factories the public may see after the import (visible today); None when nothing changed.
    public_factories: int | None = None
    dry_run: bool = False
    import_run_pk: int | None = None

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.sections.values()) or self.findings.changed > 0

    def lines(self) -> list[str]:
        if not self.changed:
            unchanged = sum(c.unchanged for c in self.sections.values())
            return [f"{self.source}: nothing to change ({unchanged} entries already up to date)"]
        head = f"{self.source}: " + ("dry run, nothing written; would change:" if self.dry_run else "imported:")
        out = [head]
        for name, counts in self.sections.items():
            if counts.total:
                out.append(
                    f"  {name}: {counts.created} created, {counts.updated} updated, {counts.unchanged} unchanged"
                )
        f = self.findings
        if f.changed or f.unchanged:
            out.append(
                f"  findings: {f.created} created, {f.updated} updated, {f.deleted} removed, {f.unchanged} unchanged"
            )
        if self.corrections:
            out.append(f"  corrections of published data: {len(self.corrections)}")
            for c in self.corrections[:20]:
                what = f"finding {c.question}" if c.question is not None else c.field
                out.append(f"    {c.assessment} {what}: {c.old or '-'} -> {c.new or '-'}")
            if len(self.corrections) > 20:
                out.append(f"    ... and {len(self.corrections) - 20} more")
        if self.public_factories is not None:
            out.append(f"  public factories after the import: {self.public_factories}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def to_json(self) -> dict[str, Any]:
        return {
            "sections": {
                name: {"created": c.created, "updated": c.updated, "unchanged": c.unchanged}
                for name, c in self.sections.items()
                if c.total
            },
            "findings": {
                "created": self.findings.created,
                "updated": self.findings.updated,
                "deleted": self.findings.deleted,
                "unchanged": self.findings.unchanged,
            },
            "corrections": len(self.corrections),
            "public_factories": self.public_factories,
        }
