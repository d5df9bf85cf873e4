"""Refused assessment visits: the patterns, their shares and their excuses."""

from __future__ import annotations

import random
from datetime import date, timedelta

from .history import Plan, _weighted


# Refusal patterns and their shares among factories that are still in the programme with a
# published assessment: two or more unexcused after the latest published assessment (highlighted),
# several of which all but one are excused, a single unexcused one, and old ones that a newer
# assessment has made irrelevant.
REFUSAL_PATTERNS = (("none", 0.84), ("highlighted", 0.05), ("excused", 0.04), ("single", 0.03), ("old", 0.04))
EXCUSES = ("FORCE_MAJEURE", "OTHER_AUDITS_SAME_DAY")


def _refusal_days(rng: random.Random, lo: date, hi: date, count: int, avoid: set[date]) -> list[date]:
    """Distinct days in [lo, hi], none in `avoid` (a refusal is keyed by factory and date)."""
    span = (hi - lo).days + 1
    candidates = [lo + timedelta(days=i) for i in range(span)]
    candidates = [d for d in candidates if d not in avoid]
    return sorted(rng.sample(candidates, min(count, len(candidates))))


def _unexcused(rng: random.Random, factory_id: str, day: date) -> dict:
    # The format allows both: an explicit null and an absent excuse mean "not excused".
    refusal = {"factory": factory_id, "date": day.isoformat()}
    if rng.random() < 0.5:
        refusal["excuse"] = None
    return refusal


def _refusals(rng: random.Random, factory_id: str, as_of: date, joined: date, plans: list[Plan]) -> list[dict]:
    published = [p for p in plans if p.status == "PUBLISHED"]
    if not published:
        return []
    pattern = _weighted(rng, REFUSAL_PATTERNS)
    day = timedelta(days=1)
    latest = published[-1].date
    assessed = {p.date for p in plans}
    if pattern == "old":
        days = _refusal_days(rng, joined + 14 * day, latest - 7 * day, rng.randint(1, 3), assessed)
        return [_unexcused(rng, factory_id, d) for d in days]
    if pattern == "none":
        return []
    count = {"highlighted": rng.randint(2, 3), "excused": rng.randint(2, 3), "single": 1}[pattern]
    days = _refusal_days(rng, latest + 7 * day, as_of, count, assessed)
    if pattern == "excused":
        # At most one stays unexcused, so the factory is not highlighted.
        plain = rng.randrange(len(days)) if rng.random() < 0.5 else None
        return [_unexcused(rng, factory_id, d) if i == plain
                else {"factory": factory_id, "date": d.isoformat(), "excuse": rng.choice(EXCUSES)}
                for i, d in enumerate(days)]
    return [_unexcused(rng, factory_id, d) for d in days]
