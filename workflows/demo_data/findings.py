"""Findings: one result per question, from the factory's quality, its cycle, the modality and
Cambodia's public reporting.
"""

from __future__ import annotations

import random
from datetime import date

from .countries import COUNTRY_BY_CODE, _reporting_since
from .questions import QUESTION_ID, QUESTIONS, Question


# One shared dict per question and result: 1.2 million findings would otherwise be 1.2 million
# dicts. The documents are read-only; corrections build their own changed finding.
_FINDING = {(q.id, result): {"question": q.id, "result": result}
            for q in QUESTIONS for result in ("COMPLIANT", "NON_COMPLIANT", "NOT_ASSESSED")}

IMPROVEMENT_PER_CYCLE = 0.8  # factories improve from one cycle to the next
VIRTUAL_DETECTION = 0.75  # a remote check misses some issues
# Public reporting made Cambodian factories comply more (the FAQ: +57% of factories compliant on
# the public issues): rates before and after it began, against other countries.
CAMBODIA_BEFORE_AFTER_PUBLIC_REPORTING = (2.0, 1.25)
VIRTUAL_EXTRA_QUESTIONS = (30, 60)  # questions a virtual check asks besides the public ones
# Public issues a remote check cannot see; a few virtual checks leave them not assessed.
NEEDS_SITE_VISIT = ("exits_unlocked", "exits_sufficient", "machine_guards")
VIRTUAL_SKIPS_SITE_ISSUES = 0.2


def _factory_quality(rng: random.Random) -> float:
    # A multiplier on every non-compliance rate: a long tail of poor performers and a group of
    # good ones that end up green.
    return rng.lognormvariate(0.1, 0.6)


def _virtual_questions(rng: random.Random, public: set[str]) -> tuple[set[str], set[str]]:
    """What a virtual check asks (public questions and a sample of the rest) and which public
    questions it had to leave not assessed because they need someone on site."""
    others = [q for q in QUESTIONS if q.id not in public]
    extra = {q.id for q in rng.sample(others, rng.randint(*VIRTUAL_EXTRA_QUESTIONS))}
    skipped = set()
    if rng.random() < VIRTUAL_SKIPS_SITE_ISSUES:
        skipped = {QUESTION_ID[k] for k in NEEDS_SITE_VISIT if QUESTION_ID[k] in public}
    return (public | extra) - skipped, skipped


def _findings(rng: random.Random, modality: str, multiplier: float, public: set[str]) -> list[dict]:
    """One finding per question in catalogue order; onsite and hybrid assessments answer all."""
    if modality != "VIRTUAL":
        return [_FINDING[q.id, _result(rng, q, multiplier)] for q in QUESTIONS]
    asked, skipped = _virtual_questions(rng, public)
    # A virtual check either lists what it did not ask as NOT_ASSESSED or leaves it out; the
    # public questions it skipped are always listed.
    list_unasked = rng.random() < 0.5
    findings = []
    for q in QUESTIONS:
        if q.id in asked:
            findings.append(_FINDING[q.id, _result(rng, q, multiplier * VIRTUAL_DETECTION)])
        elif list_unasked or q.id in skipped:
            findings.append(_FINDING[q.id, "NOT_ASSESSED"])
    return findings


def _result(rng: random.Random, question: Question, multiplier: float) -> str:
    return "NON_COMPLIANT" if rng.random() < min(0.9, question.rate * multiplier) else "COMPLIANT"


def _multiplier(rng: random.Random, quality: float, cycle: int, day: date, country: str, as_of: date) -> float:
    multiplier = quality * IMPROVEMENT_PER_CYCLE ** (cycle - 1) * rng.lognormvariate(0, 0.2)
    if country == "KH":
        before, after = CAMBODIA_BEFORE_AFTER_PUBLIC_REPORTING
        reporting = day >= _reporting_since(COUNTRY_BY_CODE["KH"], as_of)
        multiplier *= after if reporting else before
    return multiplier
