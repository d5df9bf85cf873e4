"""Correction documents: published assessments re-sent, complete, with one finding changed."""

from __future__ import annotations

import random
from collections.abc import Sequence

from .exports import DemoExport, _document
from .factories import FactoryData
from .questions import QUESTION_ID


# Each correction document re-sends a few published assessments, complete, with one finding
# changed: (reason, question keys to look at, result before, result after, how many latest
# assessments, how many superseded ones).
CORRECTIONS = (
    ("Payroll records re-examined: finding inaccurate at the time of collection",
     ("min_wage", "ot_wages"), "NON_COMPLIANT", "COMPLIANT", 3, 0),
    ("Site visit notes re-checked: emergency exit finding inaccurate at the time of collection",
     ("exits_unlocked", "exits_sufficient"), "COMPLIANT", "NON_COMPLIANT", 1, 1),
)


def _published(data: FactoryData) -> list[dict]:
    return [a for a in data.assessments if a["status"] == "PUBLISHED"]


def _candidates(factories: list[FactoryData], keys: Sequence[str], before: str, latest: bool):
    """(assessment, question id) pairs a correction could change, in factory order."""
    found = []
    for data in factories:
        published = _published(data)
        if len(published) < 2 or "leftProgrammeOn" in data.factory:
            continue
        assessment = published[-1] if latest else published[-2]
        for key in keys:
            question = QUESTION_ID[key]
            if question not in data.public_questions:
                continue
            if any(f["question"] == question and f["result"] == before for f in assessment["findings"]):
                found.append((assessment, question))
                break
    return found


def _corrected(assessment: dict, question: str, after: str) -> dict:
    changed = dict(assessment)
    changed["findings"] = [{"question": question, "result": after} if f["question"] == question else f
                           for f in assessment["findings"]]
    return changed


def _corrections(factories: list[FactoryData], seed: int, exported_at: str) -> list[DemoExport]:
    rng = random.Random(f"{seed}/corrections")
    used: set[str] = set()
    exports = []
    for reason, keys, before, after, latest_count, older_count in CORRECTIONS:
        chosen = []
        for latest, count in ((True, latest_count), (False, older_count)):
            pool = [(a, q) for a, q in _candidates(factories, keys, before, latest) if a["id"] not in used]
            chosen += rng.sample(pool, min(count, len(pool)))
        if not chosen:
            continue
        used.update(a["id"] for a, _ in chosen)
        document = _document(exported_at, assessments=[_corrected(a, q, after) for a, q in chosen])
        exports.append(DemoExport(document, correction_reason=reason))
    return exports
