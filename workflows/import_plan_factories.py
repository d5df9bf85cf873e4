"""The factories' sections of an import's plan: factories, their cycles (and the stored
assessments a cycle's new dates would leave outside it) and refusals (methods of `import_plan`'s
planner, over its state). A factory cannot change country: `domain.import_rules.country_change`."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain import import_rules as rules
from .import_stored import assessment_dates

# Stored cycles whose dates change: (factory pk, number) -> (entry key, new start, new end).
ChangedCycles = dict[tuple[int, int], tuple[str, date, date]]


class FactorySections:
    """Plans the `factories`, `cycles` and `refusals` sections."""

    def factories(self) -> None:
        plan, counts = self.plan, self.counts["factories"]
        for fid, (name, ftype, country, left) in self.doc.factories.items():
            self.refers("factories", fid, "country", country, "country")
            old = self.stored.factories.get(fid)
            row = {"name": name, "factory_type": ftype, "country_code": country, "left_programme_on": left}
            if old is None:
                plan.factory_inserts.append({"source_id": fid, **row})
                plan.affected_factories.add(fid)
                counts.created += 1
                continue
            pk, old_name, old_type, old_country, old_left = old
            self.check("factories", fid, rules.country_change(old_country, country))
            if (old_name, old_type, old_country, old_left) != (name, ftype, country, left):
                plan.factory_updates.append({"pk": pk, **row})
                plan.affected_factories.add(fid)
                counts.updated += 1
            else:
                counts.unchanged += 1

    def cycles(self) -> ChangedCycles:
        """Plans the cycles; returns the stored cycles whose dates change, for `moved_cycles`."""
        plan, counts = self.plan, self.counts["cycles"]
        changed: ChangedCycles = {}
        for (fid, number), (start, end) in self.doc.cycles.items():
            key = f"{fid}+{number}"
            self.refers("cycles", key, "factory", fid, "factory")
            self.check("cycles", key, rules.cycle_order(start, end))
            old = self.stored_cycle(fid, number)
            if old is None:
                plan.cycle_inserts.append((fid, {"number": number, "start": start, "end": end}))
                plan.affected_factories.add(fid)
                counts.created += 1
            elif (old[1], old[2]) != (start, end):
                plan.cycle_updates.append({"pk": old[0], "start": start, "end": end})
                changed[(self.factory_pk(fid), number)] = (key, start, end)
                plan.affected_factories.add(fid)
                counts.updated += 1
            else:
                counts.unchanged += 1
        return changed

    async def moved_cycles(self, session: AsyncSession, changed: ChangedCycles) -> None:
        """A cycle whose dates change may leave stored assessments (absent from the document) outside it."""
        if not changed:
            return
        for source_id, fpk, number, day in await assessment_dates(session, {fpk for fpk, _ in changed}):
            change = changed.get((fpk, number))
            if change is None or source_id in self.doc.assessments:
                continue
            key, start, end = change
            self.check("cycles", key, rules.cycle_change(source_id, day, start, end))

    def refusals(self) -> None:
        plan, counts = self.plan, self.counts["refusals"]
        for (fid, day), excuse in self.doc.refusals.items():
            self.refers("refusals", f"{fid}+{day.isoformat()}", "factory", fid, "factory")
            fpk = self.factory_pk(fid)
            old = self.stored.refusals.get((fpk, day)) if fpk is not None else None
            if old is None:
                plan.refusal_inserts.append((fid, {"date": day, "excuse": excuse}))
                plan.affected_factories.add(fid)
                counts.created += 1
            elif old[1] != excuse:
                plan.refusal_updates.append({"pk": old[0], "excuse": excuse})
                plan.affected_factories.add(fid)
                counts.updated += 1
            else:
                counts.unchanged += 1
