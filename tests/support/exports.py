"""Builders of small assessment-export documents for tests, dated relative to today."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

TODAY = datetime.now(UTC).date()

# A tiny assessment tool: five questions, three of them reported publicly in "KH".
QUESTIONS = [
    {"id": "CHI-1", "cluster": "CHILD_LABOUR", "title": {"en": "No unremediated child labour", "fr": "Pas de travail des enfants non corrigé"},
     "description": {"en": "No child labour found without remediation."}},
    {"id": "OSH-7", "cluster": "OCCUPATIONAL_SAFETY_AND_HEALTH", "title": {"en": "Emergency exit doors are unlocked during working hours"}},
    {"id": "COM-2", "cluster": "COMPENSATION", "title": {"en": "Correctly paid overtime wages"}},
    {"id": "WT-4", "cluster": "WORKING_TIME", "title": {"en": "Overtime within legal limits"}},
    {"id": "FOA-1", "cluster": "FREEDOM_OF_ASSOCIATION", "title": {"en": "Workers join and form unions freely"}},
]
PUBLIC = ["CHI-1", "OSH-7", "COM-2"]


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


def document(**sections) -> dict:
    return {"format": "assessment-export/1", **sections}


def base_document(countries=None) -> dict:
    return document(
        questions=QUESTIONS,
        countries=countries
        or [
            {"code": "KH", "name": "Cambodia", "languages": ["km", "en"], "publicReportingSince": "2014-01-01", "publicQuestions": PUBLIC},
            {"code": "VN", "name": "Vietnam", "languages": ["vi", "en"], "publicReportingSince": "2015-06-01", "publicQuestions": ["OSH-7", "FOA-1"]},
        ],
    )


def cycles(factory: str, count: int = 3, last_end_in_days: int = 200) -> list[dict]:
    """`count` consecutive one-year cycles, the last ending `last_end_in_days` from today."""
    out = []
    end = TODAY + timedelta(days=last_end_in_days)
    for number in range(count, 0, -1):
        start = end - timedelta(days=364)
        out.append({"factory": factory, "number": number, "start": start.isoformat(), "end": end.isoformat()})
        end = start - timedelta(days=1)
    return sorted(out, key=lambda c: c["number"])


def assessment(id: str, factory: str, cycle: int, days: int, results: dict[str, str], *, modality="ONSITE", status="PUBLISHED") -> dict:
    entry = {
        "id": id, "factory": factory, "cycle": cycle, "date": days_ago(days), "modality": modality, "status": status,
        "findings": [{"question": q, "result": r} for q, r in results.items()],
    }
    if status == "PUBLISHED":
        entry["publishedOn"] = days_ago(max(days - 30, 0))
    return entry


def all_compliant(**overrides: str) -> dict[str, str]:
    results = {q["id"]: "COMPLIANT" for q in QUESTIONS}
    results.update(overrides)
    return results


def factory_with_history(
    id: str,
    name: str,
    *,
    country: str = "KH",
    latest: dict[str, str] | None = None,
    older: dict[str, str] | None = None,
    left_on: str | None = None,
    last_cycle_end_in_days: int = 200,
    type: str = "APPAREL",
) -> dict:
    """A factory with two published assessments (so public), the newer one `latest`."""
    older = older or all_compliant(**{"OSH-7": "NON_COMPLIANT", "WT-4": "NON_COMPLIANT"})
    latest = latest or all_compliant(**{"COM-2": "NON_COMPLIANT"})
    entry = {"id": id, "name": name, "type": type, "country": country}
    if left_on:
        entry["leftProgrammeOn"] = left_on
    return {
        "factories": [entry],
        "cycles": cycles(id, 3, last_cycle_end_in_days),
        "assessments": [
            # Shifted so that each assessment stays inside its cycle.
            assessment(f"{id}-A1", id, 2, 300 + (200 - last_cycle_end_in_days), older),
            assessment(f"{id}-A2", id, 3, 100 + (200 - last_cycle_end_in_days), latest),
        ],
    }


def merge(*parts: dict) -> dict:
    out = document()
    for part in parts:
        for section, entries in part.items():
            if section == "format":
                continue
            out.setdefault(section, []).extend(entries)
    return out
