"""The benchmark of issue 7 keeps working (a tiny run of `bench/run.py`), and the detail query
keeps a small constant statement budget (the list's is in test_paging_and_errors.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from exports import assessment, base_document, document, factory_with_history, merge
from ids import gid

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "bench" / "run.py"
TABLE_HEADER = "| data | case | s/run | requests/s |"


@pytest.mark.bench
def test_the_benchmark_runs(tmp_path):
    # A test installs nothing: with wrk on the PATH, bench/run.py finds it and leaves the system
    # alone (.ci/run installs it with the other system packages).
    if shutil.which("wrk") is None:
        pytest.fail(
            "wrk is not installed: install it (Debian/Ubuntu: sudo apt-get install -y wrk), "
            "or leave the benchmark out with `pytest -m 'not bench'`.",
            pytrace=False,
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    result = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--cache-dir", str(tmp_path / "cache")],
        cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, f"bench/run.py --quick exited {result.returncode}:\n{result.stdout}\n{result.stderr[-6000:]}"
    assert TABLE_HEADER in result.stdout, result.stdout
    for case in ("list page of 100, repeated", "factory detail", "submitResponse with a 1 MB photo"):
        assert case in result.stdout
    assert "findings/s" in result.stdout


# --------------------------------------------------------------------------- detail statements

CLUSTERS = ["CHILD_LABOUR", "FORCED_LABOUR", "DISCRIMINATION", "FREEDOM_OF_ASSOCIATION", "COMPENSATION",
            "CONTRACTS_AND_HUMAN_RESOURCES", "OCCUPATIONAL_SAFETY_AND_HEALTH", "WORKING_TIME"]
QUESTIONS = [f"Q-{n}" for n in range(1, 41)]

DETAIL = """query($id: ID!) { factory(id: $id) { id name factoryType leftProgrammeOn complianceStatus nonComplianceCount
  country { code name issues { id code title } } refusals { highlighted unexcused }
  latestAssessment { id date modality cycle comprehensive responses { id text }
    nonCompliances { id issue { code } }
    findings { id status statusLabel issue { id code title cluster clusterLabel description }
      correction { reason correctedOn previousStatus } responses { id } } } } }"""


def results(non_compliant: int) -> dict[str, str]:
    return {q: "NON_COMPLIANT" if n < non_compliant else "COMPLIANT" for n, q in enumerate(QUESTIONS)}


def forty_questions() -> dict:
    base = base_document()
    base["questions"] = [
        {"id": q, "cluster": CLUSTERS[n % len(CLUSTERS)], "title": {"en": f"Question {n + 1}", "fr": f"Question n° {n + 1}"},
         "description": {"en": f"What question {n + 1} checks."}}
        for n, q in enumerate(QUESTIONS)
    ]
    for country in base["countries"]:
        # Cambodia reports all forty publicly, Vietnam two.
        country["publicQuestions"] = QUESTIONS if country["code"] == "KH" else QUESTIONS[:2]
    return merge(
        base,
        factory_with_history("KH-MANY", "Many Findings (test)", latest=results(25), older=results(30)),
        factory_with_history("KH-FIXED", "Corrected Findings (test)", latest=results(10), older=results(12)),
        factory_with_history("VN-FEW", "Few Findings (test)", country="VN", latest=results(0), older=results(1)),
    )


async def test_a_factory_detail_costs_the_same_few_statements_for_2_or_40_findings(api, load):
    await load(forty_questions())
    # Three corrected findings, so the correction loader has work too.
    await load(
        document(assessments=[assessment("KH-FIXED-A2", "KH-FIXED", 3, 100, results(7))]),
        correction_reason="Records re-examined: inaccurate at collection",
    )
    ids = {key: gid("Factory", key) for key in ("KH-MANY", "KH-FIXED", "VN-FEW")}
    for factory_id in ids.values():  # warm whatever the process keeps (issues, countries...)
        await api.query(DETAIL + " ", {"id": factory_id})

    costs = {}
    for key, factory_id in ids.items():
        statements = api.count_statements()
        data = (await api.query(DETAIL, {"id": factory_id}))["factory"]
        costs[key] = len(statements)
        statements.clear()
        findings = data["latestAssessment"]["findings"]
        assert len(findings) == (2 if key == "VN-FEW" else 40)
        if key == "KH-FIXED":
            assert sum(1 for f in findings if f["correction"]) == 3
    # The factory, the issues of its findings, its corrections, the responses, the country's
    # issues: a few batched reads, whether the assessment has 2 public findings or 40.
    assert costs["KH-MANY"] == costs["KH-FIXED"] == costs["VN-FEW"] <= 8, costs
