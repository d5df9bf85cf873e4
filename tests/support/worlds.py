"""Small worlds of factories for API tests: each factory exercises one publication rule."""

from __future__ import annotations

from exports import all_compliant, assessment, base_document, cycles, days_ago, factory_with_history, merge


def world() -> dict:
    """Factories that each exercise one rule (names say which)."""
    single = {
        "factories": [{"id": "KH-SINGLE", "name": "Single Assessment Mill (test)", "type": "APPAREL", "country": "KH"}],
        "cycles": cycles("KH-SINGLE", 3),
        "assessments": [
            assessment("KH-SINGLE-A1", "KH-SINGLE", 3, 100, all_compliant(**{"COM-2": "NON_COMPLIANT"})),
            assessment("KH-SINGLE-D2", "KH-SINGLE", 3, 20, all_compliant(), status="DRAFT"),
        ],
    }
    drafted = factory_with_history("KH-DRAFTED", "Drafted Works (test)")
    drafted["assessments"].append(
        assessment("KH-DRAFTED-A3", "KH-DRAFTED", 3, 10, all_compliant(**{"CHI-1": "NON_COMPLIANT"}), status="FINALIZED")
    )
    refused = factory_with_history("KH-REFUSED", "Refusing Textiles (test)")
    refused["refusals"] = [
        {"factory": "KH-REFUSED", "date": days_ago(60)},
        {"factory": "KH-REFUSED", "date": days_ago(30), "excuse": None},
    ]
    excused = factory_with_history("KH-EXCUSED", "Excused Textiles (test)")
    excused["refusals"] = [
        {"factory": "KH-EXCUSED", "date": days_ago(200)},  # before the latest assessment
        {"factory": "KH-EXCUSED", "date": days_ago(60)},
        {"factory": "KH-EXCUSED", "date": days_ago(30), "excuse": "FORCE_MAJEURE"},
        {"factory": "KH-EXCUSED", "date": days_ago(20), "excuse": "OTHER_AUDITS_SAME_DAY"},
    ]
    virtual = factory_with_history("KH-VIRTUAL", "Virtual Check Garments (test)")
    virtual["assessments"][1] = assessment(
        "KH-VIRTUAL-A2", "KH-VIRTUAL", 3, 100, {"OSH-7": "COMPLIANT", "CHI-1": "NOT_ASSESSED"}, modality="VIRTUAL"
    )
    return merge(
        base_document(),
        # Older assessment: OSH-7 and WT-4 non-compliant; latest: COM-2 only.
        factory_with_history("KH-NC", "Ângkor Stitch Wörks (test)"),
        # Latest: only a non-public question non-compliant: still green.
        factory_with_history("KH-GREEN", "Green Thread Garments (test)", latest=all_compliant(**{"WT-4": "NON_COMPLIANT"})),
        single,
        drafted,
        # Left the programme; its cycle ended 10 days ago: gone. Another's cycle ends in 200 days: shown.
        factory_with_history("KH-GONE", "Departed Apparel (test)", left_on=days_ago(40), last_cycle_end_in_days=-10),
        factory_with_history("KH-LEAVING", "Leaving Apparel (test)", left_on=days_ago(5)),
        refused,
        excused,
        virtual,
        factory_with_history("VN-1", "Sông Xanh Footwear (test)", country="VN", type="FOOTWEAR",
                             latest=all_compliant(**{"FOA-1": "NON_COMPLIANT", "COM-2": "NON_COMPLIANT"})),
    )
