"""One factory's data (its row, cycles, assessments and refusals) and the demo's factories."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from .countries import COUNTRIES, COUNTRY_BY_CODE, _public_ids
from .findings import _factory_quality, _findings, _multiplier
from .history import MODALITIES, PROFILES, _exit_date, _history, _weighted
from .names import FACTORY_TYPES, _factory_name
from .refusals import _refusals


@dataclass
class FactoryData:
    factory: dict
    cycles: list[dict]
    assessments: list[dict]
    refusals: list[dict]
    public_questions: list[str] = field(default_factory=list)


def _factory(rng: random.Random, factory_id: str, country: str, name: str, factory_type: str,
             as_of: date) -> FactoryData:
    profile = _weighted(rng, PROFILES)
    cycles, plans = _history(rng, as_of, profile)
    left_on = _exit_date(rng, as_of, profile, cycles, plans)
    public_ids = _public_ids(COUNTRY_BY_CODE[country])
    public = set(public_ids)
    quality = _factory_quality(rng)

    factory = {"id": factory_id, "name": name, "type": factory_type, "country": country}
    if left_on is not None:
        factory["leftProgrammeOn"] = left_on.isoformat()
    assessments = []
    for index, plan in enumerate(plans, start=1):
        modality = _weighted(rng, MODALITIES)
        multiplier = _multiplier(rng, quality, plan.cycle, plan.date, country, as_of)
        assessment = {
            "id": f"{factory_id}-A{index}", "factory": factory_id, "cycle": plan.cycle,
            "date": plan.date.isoformat(), "modality": modality, "status": plan.status,
            "findings": _findings(rng, modality, multiplier, public),
        }
        if plan.published_on is not None:
            assessment["publishedOn"] = plan.published_on.isoformat()
        assessments.append(assessment)
    # A factory that left is not visited any more: no refusals after its exit.
    refusals = [] if left_on is not None else _refusals(rng, factory_id, as_of, cycles[0][1], plans)
    return FactoryData(
        factory=factory,
        cycles=[{"factory": factory_id, "number": n, "start": s.isoformat(), "end": e.isoformat()}
                for n, s, e in cycles],
        assessments=assessments,
        refusals=refusals,
        public_questions=public_ids,
    )


def _factories(count: int, seed: int, as_of: date) -> list[FactoryData]:
    countries = [(c.code, c.weight) for c in COUNTRIES]
    numbers = {c.code: 0 for c in COUNTRIES}
    taken: set[str] = set()
    result = []
    for index in range(count):
        # Each factory has its own generator (seeded by a string, which Random hashes with
        # SHA-512, not with the salted hash()), so factory i does not depend on the total.
        rng = random.Random(f"{seed}/factory/{index}")
        country = _weighted(rng, countries)
        numbers[country] += 1
        factory_type = _weighted(rng, FACTORY_TYPES)
        name = _factory_name(rng, country, factory_type, taken)
        result.append(_factory(rng, f"{country}-{numbers[country]:05d}", country, name, factory_type, as_of))
    return result
