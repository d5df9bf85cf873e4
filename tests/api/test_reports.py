"""The country report, from the public side: its figures against a hand computation.

The world is dated in fixed calendar years (2013-2016), so that periods do not move with the
day the tests run. Cambodia ("KH") reports CHI-1, OSH-7 and COM-2 publicly since 2014-01-01.
"""

from __future__ import annotations

import csv
import io
import json
from ids import gid
from datetime import date, timedelta

import pytest
from exports import TODAY, base_document, merge

REPORT = """
query($country: String!, $from: Date, $to: Date) {
  countryReport(country: $country, from: $from, to: $to) {
    country { code name } asOf publicReportingSince suppressionThreshold
    green { ...cell }
    greenBeforePublicReporting { ...cell }
    greenAfterPublicReporting { ...cell }
    issues { issue { code } periods { ...cell } beforePublicReporting { ...cell } afterPublicReporting { ...cell } }
  }
}
fragment cell on PeriodShare { period assessed count share suppressed }
"""
LIST = "{ factories(first: 100) { edges { node { id } } } }"

RESULT = {"C": "COMPLIANT", "N": "NON_COMPLIANT"}


def answers(public: str, wt: str = "C") -> dict[str, str]:
    """CHI-1, OSH-7, COM-2 by letter (C, N, or - for not asked), then the non-public WT-4."""
    out = {q: RESULT[r] for q, r in zip(["CHI-1", "OSH-7", "COM-2"], public, strict=True) if r != "-"}
    return {**out, "WT-4": RESULT[wt], "FOA-1": "COMPLIANT"}


def factory(id: str, name: str, assessments: list[tuple], *, country: str = "KH", left_on: str | None = None) -> dict:
    """A factory with one cycle per calendar year 2012-2016; assessments are
    (date, answers) or (date, answers, modality, status)."""
    entry = {"id": id, "name": name, "type": "APPAREL", "country": country}
    if left_on:
        entry["leftProgrammeOn"] = left_on
    out = []
    for n, (day, results, *rest) in enumerate(assessments, 1):
        modality, status = rest or ("ONSITE", "PUBLISHED")
        a = {
            "id": f"{id}-A{n}", "factory": id, "cycle": int(day[:4]) - 2011, "date": day, "modality": modality,
            "status": status, "findings": [{"question": q, "result": r} for q, r in results.items()],
        }  # fmt: skip
        if status == "PUBLISHED":
            a["publishedOn"] = (date.fromisoformat(day) + timedelta(days=30)).isoformat()
        out.append(a)
    cycles = [
        {"factory": id, "number": y - 2011, "start": f"{y}-01-01", "end": f"{y}-12-31"} for y in range(2012, 2017)
    ]
    return {"factories": [entry], "cycles": cycles, "assessments": out}


def history() -> dict:
    return merge(
        base_document(),
        factory("KH-R1", "Report Mill One (test)", [
            ("2013-03-01", answers("CNN")),
            ("2014-03-01", answers("CCC")),
            ("2015-03-01", answers("CNC")),
            ("2015-09-01", answers("NNN"), "ONSITE", "DRAFT"),  # never counts
        ]),
        factory("KH-R2", "Report Mill Two (test)", [
            ("2013-02-01", answers("CCC")),  # superseded in the same year: the 2013 cell counts the April one
            ("2013-04-01", answers("CNC")),
            ("2014-04-01", answers("CCN")),
            ("2015-04-01", answers("CCC")),
        ]),
        factory("KH-R3", "Report Mill Three (test)", [
            ("2013-05-01", answers("CCC", wt="N")),  # WT-4 is not public: green
            ("2014-05-01", answers("C-C"), "VIRTUAL", "PUBLISHED"),  # OSH-7 not asked
            ("2015-06-01", answers("NNN"), "ONSITE", "FINALIZED"),  # never counts
        ]),
        factory("KH-R4", "Report Mill Four (test)", [
            ("2013-06-01", answers("CNC")),
            ("2014-06-01", answers("CNC")),
            ("2015-05-01", answers("CCC", wt="N")),
        ]),
        # Left in 2015; its cycle is over, so it is not public today, but history counts it.
        factory("KH-R5", "Report Mill Five (test)", [
            ("2013-07-01", answers("CCN")),
            ("2014-02-01", answers("NNN")),  # superseded within 2014 by September's
            ("2014-09-01", answers("CCC")),
        ], left_on="2015-03-01"),
        # One published assessment: never public, counted in 2013.
        factory("KH-R6", "Report Mill Six (test)", [("2013-08-01", answers("NCC"))]),
        # Another country: never in Cambodia's figures. Vietnam reports OSH-7 and FOA-1.
        factory("VN-R7", "Report Mill Seven (test)", [
            ("2013-03-01", answers("NNN")),
            ("2016-03-01", answers("NNN")),
        ], country="VN"),
    )  # fmt: skip


def cell(period, assessed, count=None):
    """The expected cell: suppressed below 5 factories."""
    if assessed < 5:
        return {"period": period, "assessed": assessed, "count": None, "share": None, "suppressed": True}
    return {"period": period, "assessed": assessed, "count": count, "share": count / assessed, "suppressed": False}


# The hand computation. Counted (latest published per factory in the period):
#   2013: R1 CNN, R2 CNC (April), R3 CCC, R4 CNC, R5 CCN, R6 NCC        -> 6 factories
#   2014: R1 CCC, R2 CCN, R3 C-C (virtual), R4 CNC, R5 CCC (September) -> 5 factories
#   2015: R1 CNC, R2 CCC, R4 CCC                                         -> 3 factories
#   before 2014-01-01: as 2013.
#   on or after 2014-01-01: R1 CNC (2015), R2 CCC (2015), R3 C-C (2014), R4 CCC (2015), R5 CCC (2014).
EXPECTED_GREEN = [cell("2013", 6, 1), cell("2014", 5, 3), cell("2015", 3)]
EXPECTED_GREEN_BEFORE = cell("../2013-12-31", 6, 1)
EXPECTED_GREEN_AFTER = cell("2014-01-01/..", 5, 4)
EXPECTED_ISSUES = {
    "CHI-1": ([cell("2013", 6, 1), cell("2014", 5, 0), cell("2015", 3)], cell("../2013-12-31", 6, 1), cell("2014-01-01/..", 5, 0)),
    # R3's virtual check did not ask OSH-7: four factories answered it in 2014 and after.
    "OSH-7": ([cell("2013", 6, 3), cell("2014", 4), cell("2015", 3)], cell("../2013-12-31", 6, 3), cell("2014-01-01/..", 4)),
    "COM-2": ([cell("2013", 6, 2), cell("2014", 5, 1), cell("2015", 3)], cell("../2013-12-31", 6, 2), cell("2014-01-01/..", 5, 0)),
}


@pytest.fixture
async def reports(api, load):
    await load(history())
    return api


async def report(api, **variables) -> dict:
    return (await api.query(REPORT, {"country": "KH", **variables}))["countryReport"]


def _cells(r: dict) -> list[tuple[str, dict]]:
    out = [("green", c) for c in [*r["green"], r["greenBeforePublicReporting"], r["greenAfterPublicReporting"]]]
    for trend in r["issues"]:
        cells = [*trend["periods"], trend["beforePublicReporting"], trend["afterPublicReporting"]]
        out += [(trend["issue"]["code"], c) for c in cells]
    return [(series, c) for series, c in out if c is not None]


async def test_the_figures_equal_a_hand_computation(reports):
    # Only R1-R4 are public today; the report counts R5 and R6 too.
    listed = {e["node"]["id"] for e in (await reports.query(LIST))["factories"]["edges"]}
    assert listed == {gid("Factory", f"KH-R{n}") for n in (1, 2, 3, 4)} | {gid("Factory", "VN-R7")}

    r = await report(reports)
    assert r["country"] == {"code": "KH", "name": "Cambodia"}
    assert r["publicReportingSince"] == "2014-01-01"
    assert r["suppressionThreshold"] == 5
    # The latest publication: R4's 2015-05-01 assessment, published 30 days later.
    assert r["asOf"] == "2015-05-31"
    assert r["green"] == EXPECTED_GREEN
    assert r["greenBeforePublicReporting"] == EXPECTED_GREEN_BEFORE
    assert r["greenAfterPublicReporting"] == EXPECTED_GREEN_AFTER
    assert [i["issue"]["code"] for i in r["issues"]] == ["CHI-1", "OSH-7", "COM-2"]
    for trend in r["issues"]:
        periods, before, after = EXPECTED_ISSUES[trend["issue"]["code"]]
        assert trend["periods"] == periods, trend["issue"]["code"]
        assert trend["beforePublicReporting"] == before, trend["issue"]["code"]
        assert trend["afterPublicReporting"] == after, trend["issue"]["code"]


async def test_cells_under_five_factories_are_suppressed_and_nothing_names_a_factory(reports):
    for variables in ({}, {"from": "2013-06-01", "to": "2014-12-31"}, {"country": "VN"}):
        r = await report(reports, **variables)
        for _, c in _cells(r):
            assert c["suppressed"] == (c["assessed"] < 5)
            assert (c["count"] is None and c["share"] is None) == c["suppressed"]
        text = json.dumps(r)
        assert "KH-R" not in text and "VN-R" not in text and "Mill" not in text
        for n in range(1, 7):
            assert gid("Factory", f"KH-R{n}") not in text


async def test_the_window_chooses_whole_years_and_never_changes_a_cell(reports):
    # From June 2013: 2013 is still the whole year (cutting it would let two reports a day apart
    # be subtracted to isolate the factories assessed in between).
    r = await report(reports, **{"from": "2013-06-01", "to": "2014-12-31"})
    assert r["green"] == EXPECTED_GREEN[:2]
    assert r["issues"][0]["periods"] == EXPECTED_ISSUES["CHI-1"][0][:2]
    # Before / after public reporting always cover the whole record.
    assert r["greenBeforePublicReporting"] == EXPECTED_GREEN_BEFORE
    assert r["greenAfterPublicReporting"] == EXPECTED_GREEN_AFTER

    r = await report(reports, **{"from": "2014-01-01"})
    assert r["green"] == EXPECTED_GREEN[1:]
    assert r["greenBeforePublicReporting"] == EXPECTED_GREEN_BEFORE
    r = await report(reports, to="2013-12-31")
    assert r["green"] == EXPECTED_GREEN[:1]
    assert r["greenAfterPublicReporting"] == EXPECTED_GREEN_AFTER

    whole = await report(reports)
    cells = {(s, c["period"]): c for s, c in _cells(whole)}
    for window in ({"from": "2013-12-31"}, {"to": "2014-01-01"}, {"from": "2014-06-01", "to": "2014-06-02"}, {"from": "2016-01-01"}):
        for series, c in _cells(await report(reports, **window)):
            assert c == cells[(series, c["period"])], (window, series)


async def test_years_without_assessments_are_shown_empty(reports):
    r = await report(reports, country="vn")
    assert r["country"]["code"] == "VN" and r["publicReportingSince"] == "2015-06-01"
    assert [c["period"] for c in r["green"]] == ["2013", "2014", "2015", "2016"]
    assert [c["assessed"] for c in r["green"]] == [1, 0, 0, 1]
    assert [i["issue"]["code"] for i in r["issues"]] == ["OSH-7", "FOA-1"]


async def test_a_correction_of_a_superseded_finding_changes_history_and_the_as_of_date(reports, load):
    # R2's April 2013 assessment (superseded, not public) is corrected: OSH-7 was compliant after all.
    corrected = {"format": "assessment-export/1", "assessments": [
        a for a in history()["assessments"] if a["id"] == "KH-R2-A2"
    ]}  # fmt: skip
    corrected["assessments"][0]["findings"] = [
        {"question": q, "result": r} for q, r in answers("CCC").items()
    ]
    await load(corrected, correction_reason="Re-examined: inaccurate at collection")
    r = await report(reports)
    assert r["asOf"] == TODAY.isoformat()
    assert r["issues"][1]["periods"][0] == cell("2013", 6, 2)  # OSH-7 in 2013: was 3
    assert r["green"][0] == cell("2013", 6, 2)  # R2 is green in 2013 now


@pytest.mark.parametrize(
    ("variables", "code", "argument"),
    [
        ({"country": "ZZ"}, "NOT_FOUND", None),
        ({"country": "Cambodia"}, "BAD_USER_INPUT", "country"),
        ({"from": "2015-01-01", "to": "2014-01-01"}, "BAD_USER_INPUT", "from"),
        ({"from": "2015-13-01"}, "BAD_USER_INPUT", None),
    ],
)
async def test_bad_arguments(reports, variables, code, argument):
    errors = await reports.errors(REPORT, {"country": "KH", **variables})
    assert errors[0]["extensions"]["code"] == code
    if argument:
        assert errors[0]["extensions"]["argument"] == argument


async def test_the_csv_has_one_row_per_cell_of_the_report(reports):
    r = await report(reports)
    response = await reports.client.get("/export/country-report.csv", params={"country": "KH"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="country-report-KH-2015-05-31.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    expected = _cells(r)
    assert [(row["series"], row["period"]) for row in rows] == [(s, c["period"]) for s, c in expected]
    for row, (_, c) in zip(rows, expected, strict=True):
        assert row["data_as_of"] == "2015-05-31" and row["country"] == "KH"
        assert int(row["assessed"]) == c["assessed"]
        assert row["suppressed"] == ("true" if c["suppressed"] else "false")
        assert row["count"] == ("" if c["count"] is None else str(c["count"]))
        assert (row["share"] == "") if c["share"] is None else (float(row["share"]) == c["share"])
    assert "Mill" not in response.text and "KH-R" not in response.text


@pytest.mark.parametrize(
    ("params", "status", "argument"),
    [
        ({}, 400, "country"),
        ({"country": "ZZ"}, 404, None),
        ({"country": "KH", "from": "2015-01-01", "to": "2014-01-01"}, 400, "from"),
        ({"country": "KH", "to": "soon"}, 400, "to"),
        ({"country": "KH", "year": "2014"}, 400, "year"),
    ],
)
async def test_the_csv_refuses_bad_parameters(reports, params, status, argument):
    response = await reports.client.get("/export/country-report.csv", params=params)
    assert response.status_code == status
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == ("NOT_FOUND" if status == 404 else "BAD_USER_INPUT")
    if argument:
        assert error["extensions"]["argument"] == argument
