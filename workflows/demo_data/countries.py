"""The seven country programmes: languages, share of factories, when public reporting began and
which questions each reports publicly.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from .questions import QUESTION_ID


# Cambodia's published critical issues, exactly (DOMAIN.md "Reference facts").
CAMBODIA_PUBLIC = (
    "child_unremediated", "forced_movement", "discrimination", "pregnant_dismissal", "maternity_dismissal",
    "harassment", "equal_pay", "union_discrimination", "join_form", "union_control", "union_dependent",
    "union_interference", "free_not_join", "drills", "exits_unlocked", "exits_sufficient", "machine_guards",
    "drinking_water", "min_wage", "ot_wages", "bonuses_period",
)

# What every other programme reports: the four core labour standards, wages, contracts, working
# time and safety. Each country adds its minimum-age question and its own issues.
CORE_PUBLIC = (
    "child_unremediated", "forced_movement", "bonded", "discrimination", "harassment", "pregnant_dismissal",
    "union_discrimination", "join_form", "union_interference", "bargaining", "min_wage", "ot_wages",
    "wages_on_time", "written_contracts", "dismissal_procedure", "weekly_rest", "exits_unlocked",
    "exits_sufficient", "drills", "machine_guards", "chemicals", "drinking_water",
)


class CountrySpec(NamedTuple):
    code: str
    name: str
    languages: tuple[str, ...]
    # Public reporting began on this month's first day, this many years before as_of's year:
    # Cambodia and Haiti in the middle of the demo's history (so there is data before and after,
    # as with Cambodia's 2014 start in reality), the others before the earliest demo assessment.
    reporting_since: tuple[int, int]  # (years before as_of.year, month)
    weight: float  # share of the demo's factories
    public: tuple[str, ...]  # question keys


COUNTRIES = (
    CountrySpec("BD", "Bangladesh", ("bn", "en"), (6, 1), 0.22,
                CORE_PUBLIC + ("min_age_14", "ot_limits", "structural_bd", "safety_committee_bd",
                               "participation_committee", "maternity_benefit_bd", "fire_fighting")),
    CountrySpec("KH", "Cambodia", ("km", "en"), (2, 1), 0.16, CAMBODIA_PUBLIC),
    CountrySpec("HT", "Haiti", ("fr", "ht", "en"), (2, 6), 0.04,
                CORE_PUBLIC + ("min_age_15", "ot_limits", "piece_rate_ht", "social_security", "equal_pay")),
    CountrySpec("ID", "Indonesia", ("id", "en"), (6, 3), 0.20,
                CORE_PUBLIC + ("min_age_15", "ot_limits", "thr_id", "pkwt_id", "social_security")),
    CountrySpec("JO", "Jordan", ("ar", "en"), (7, 9), 0.06,
                CORE_PUBLIC + ("min_age_16", "ot_limits", "migrant_passports", "recruitment_fees",
                               "work_permits_jo", "dormitories_jo", "forced_overtime")),
    CountrySpec("NI", "Nicaragua", ("es", "en"), (7, 4), 0.05,
                CORE_PUBLIC + ("min_age_14", "ot_limits", "christmas_bonus_ni", "social_security",
                               "pregnancy_tests")),
    CountrySpec("VN", "Vietnam", ("vi", "en"), (6, 10), 0.27,
                CORE_PUBLIC + ("min_age_15", "ot_limits_vn", "insurance_vn", "fire_fighting", "ppe")),
)
COUNTRY_BY_CODE = {c.code: c for c in COUNTRIES}


def _reporting_since(country: CountrySpec, as_of: date) -> date:
    years_before, month = country.reporting_since
    return date(as_of.year - years_before, month, 1)


def _public_ids(country: CountrySpec) -> list[str]:
    return [QUESTION_ID[key] for key in country.public]
