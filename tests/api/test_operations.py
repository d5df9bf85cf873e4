"""Operating the service: /healthz, /readyz, /metrics, request ids, log lines, `--workers`, SIGTERM.

In-process servers (tests/support/servers.py) where the app alone decides; real `portal serve`
processes (tests/support/processes.py) where the command line does: workers, logging, signals.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import signal
import socket
from pathlib import Path

import httpx
import pytest
from processes import free_port
from prometheus_client.parser import text_string_to_metric_families
from servers import serving
from transparency_portal.schema.http.app import create_app
from transparency_portal.storage.db import make_engine
from transparency_portal.storage.migrate import upgrade

HELLO = "query Hello { countries { code } }"
SUBMIT = "mutation($input: SubmitResponseInput!) { submitResponse(input: $input) { id state } }"


def closed_port() -> int:
    return free_port()  # nothing listens there once the probe socket is closed


def metrics(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape, by (name, sorted labels); the text must parse."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(client) -> dict[tuple[str, tuple], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return metrics(response.text)


def requests_of(samples, operation: str, outcome: str) -> float:
    return samples.get(("portal_requests_total", (("operation", operation), ("outcome", outcome))), 0.0)


async def get(base: str, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base) as client:
        return await client.get(path)


async def ask(client, query: str, name: str | None = None, **headers):
    return await client.post("/graphql", json={"query": query, "operationName": name}, headers=headers)


# --- request ids ---------------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_sane_request_id_is_kept_and_any_other_replaced(api):
    kept = await ask(api.client, HELLO, "Hello", **{"x-request-id": "trace-42/ab:c=d"})
    assert kept.status_code == 200 and kept.headers["x-request-id"] == "trace-42/ab:c=d"

    made = [(await ask(api.client, HELLO)).headers["x-request-id"] for _ in range(2)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", made_id) for made_id in made) and made[0] != made[1]

    for insane in ("x" * 129, "two words", "naïve", ""):
        replaced = await api.client.get("/healthz", headers={"x-request-id": insane.encode()})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"]), insane

    # Refusals and unknown paths carry one too.
    missing = await api.client.get("/nowhere", headers={"x-request-id": "lost-1"})
    assert missing.status_code == 404 and missing.headers["x-request-id"] == "lost-1"


# --- /healthz and /readyz ------------------------------------------------------------------


async def test_healthz_reads_nothing_and_readyz_checks_every_part(api):
    statements = api.count_statements()
    health = await api.client.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert statements == []

    ready = await api.client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert {"database", "migrations", "storage"} <= set(body["checks"]) and set(body["checks"].values()) == {"ok"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_readyz_asks_redis_when_it_is_configured(settings, engine, redis_url):
    async with serving(create_app(dataclasses.replace(settings, redis_url=redis_url))) as base:
        ready = await get(base, "/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["redis"] == "ok"

    down = f"redis://127.0.0.1:{closed_port()}/0"
    async with serving(create_app(dataclasses.replace(settings, redis_url=down))) as base, httpx.AsyncClient(base_url=base) as client:
        refused = await client.get("/readyz")
        assert (await client.get("/healthz")).status_code == 200
    assert refused.status_code == 503
    assert refused.json()["failed"] == ["redis"]
    assert "127.0.0.1" not in refused.text


async def test_readyz_names_a_database_that_does_not_answer(tmp_path):
    from transparency_portal.config import Settings

    port = closed_port()
    settings = Settings(
        database_url=f"postgresql+asyncpg://portal:secret-password@127.0.0.1:{port}/portal",
        storage_dir=tmp_path / "attachments",
    )
    async with serving(create_app(settings)) as base, httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/healthz")).status_code == 200  # alive, just not ready
        refused = await client.get("/readyz")
    assert refused.status_code == 503
    body = refused.json()
    assert body["status"] == "unavailable" and "database" in body["failed"]
    assert body["checks"]["storage"] == "ok"
    for leak in ("secret-password", str(port), "Traceback", "asyncpg", "Error"):
        assert leak not in refused.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_readyz_refuses_a_schema_behind_the_code(settings, tmp_path):
    behind = f"sqlite+aiosqlite:///{tmp_path / 'behind.db'}"
    engine = make_engine(behind)
    await upgrade(engine, "0002")
    await engine.dispose()
    async with serving(create_app(dataclasses.replace(settings, database_url=behind))) as base:
        refused = await get(base, "/readyz")
    assert refused.status_code == 503
    assert refused.json()["failed"] == ["migrations"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_readyz_refuses_storage_it_cannot_write(settings, engine, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the attachments folder should be")
    async with serving(create_app(dataclasses.replace(settings, storage_dir=blocked))) as base:
        refused = await get(base, "/readyz")
    assert refused.status_code == 503
    assert refused.json()["failed"] == ["storage"]
    assert str(tmp_path) not in refused.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_probes_are_never_rate_limited(settings, engine):
    async with serving(create_app(dataclasses.replace(settings, rate_limit=1))) as base, httpx.AsyncClient(base_url=base) as client:
        assert (await ask(client, HELLO)).status_code == 200
        assert (await ask(client, HELLO)).status_code == 429
        for path in ("/healthz", "/readyz") * 5:
            assert (await client.get(path)).status_code == 200


# --- /metrics ------------------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_metrics_count_operations_outcomes_cache_hits_and_refusals(api, people, settings):
    before = await scrape(api.client)
    for _ in range(2):  # the second is the answer cache's
        assert (await ask(api.client, HELLO, "Hello")).json()["data"]["countries"]
    assert "errors" in (await ask(api.client, "query Broken { nothingHere }", "Broken")).json()
    assert (await api.client.post("/graphql", content=b"{", headers={"content-type": "application/json"})).status_code == 400

    # A second server on the same database, with a budget of one request a minute. One
    # process, one registry: the first server's /metrics shows what both counted.
    limited_query = "query Limited { countries { code } }"
    async with serving(create_app(dataclasses.replace(settings, rate_limit=1))) as base, httpx.AsyncClient(base_url=base) as limited:
        assert (await ask(limited, limited_query, "Limited")).status_code == 200
        assert (await ask(limited, limited_query, "Limited")).status_code == 429

    await api.query(SUBMIT, {"input": {"assessmentId": _assessment("KH-A-A2"), "text": "The exit is unlocked now."}}, people.alpha)
    after = await scrape(api.client)

    def grew(name: str, **labels) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("portal_requests_total", operation="Hello", outcome="ok") == 2
    assert grew("portal_request_duration_seconds_count", operation="Hello") == 2
    assert grew("portal_requests_total", operation="Broken", outcome="error") == 1
    assert grew("portal_requests_total", operation="/graphql", outcome="refused") == 1
    assert grew("portal_requests_total", operation="Limited", outcome="ok") == 1
    # Refused before its body was read: named by its path.
    assert grew("portal_requests_total", operation="/graphql", outcome="rate_limited") == 1
    assert grew("portal_rate_limited_total") == 1
    assert grew("portal_cache_hits_total", cache="answer") >= 1
    # What the database holds, read at the scrape: the response waits, one import was made.
    assert after[("portal_queue_length", ())] == 1
    assert after[("portal_queue_oldest_seconds", ())] >= 0
    assert after[("portal_imports_total", ())] == 1
    assert after[("portal_last_import_timestamp_seconds", ())] > 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_fast_paths_renderings_count_their_hits(api, people):
    page = "query Page($first: Int) { factories(first: $first) { edges { node { id name } } } }"
    before = await scrape(api.client)
    for nonce in range(2):  # rendered, then served from the renderings
        # A variable the query does not use: another body, so the answer cache misses.
        variables = {"first": 2, "nonce": nonce}
        response = await api.client.post("/graphql", json={"query": page, "operationName": "Page", "variables": variables})
        assert response.status_code == 200 and len(response.json()["data"]["factories"]["edges"]) == 2
    after = await scrape(api.client)
    key = ("portal_cache_hits_total", (("cache", "rendering"),))
    assert after.get(key, 0) - before.get(key, 0) >= 2


def _assessment(source_id: str) -> str:
    from ids import gid

    return gid("Assessment", source_id)


# --- real `portal serve` processes ---------------------------------------------------------


@pytest.fixture
def serve_env(tmp_path):
    return {
        **os.environ,
        "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
        "PORTAL_STORAGE_DIR": str(tmp_path / "attachments"),
        "PORTAL_RATE_LIMIT": "0",
        "PORTAL_LOG_FORMAT": "json",
    }


def log_lines(tmp_path: Path) -> list[dict]:
    """Every line the servers wrote; each one must be a JSON object."""
    lines = []
    for log in sorted(tmp_path.glob("serve-*.log")):
        text = log.read_text()
        complete = text[: text.rfind("\n") + 1]  # a line being written is read next time
        lines.extend(json.loads(line) for line in complete.splitlines())
    return lines


async def test_workers_share_one_port_and_metrics_sum_their_counts(children, serve_env, tmp_path):
    process, base = children.serve(serve_env, "--workers", "2")
    sent, pids = 0, set()

    async def one(n: int) -> None:
        async with httpx.AsyncClient(base_url=base) as client:  # a new connection each
            response = await ask(client, "query Counted { __typename }", "Counted", **{"x-request-id": f"counted-{n}"})
            assert response.status_code == 200 and response.headers["x-request-id"] == f"counted-{n}"

    # The kernel hands each new connection to either worker: go on until both have served.
    for _ in range(30):
        await asyncio.gather(*(one(sent + n) for n in range(10)))
        sent += 10
        pids = {line["pid"] for line in log_lines(tmp_path) if str(line.get("request_id", "")).startswith("counted-")}
        if len(pids) == 2:
            break
    assert len(pids) == 2, "one worker took every connection"

    async with httpx.AsyncClient(base_url=base) as client:
        samples = await scrape(client)
    assert requests_of(samples, "Counted", "ok") == sent
    assert samples[("portal_request_duration_seconds_count", (("operation", "Counted"),))] == sent

    lines = [line for line in log_lines(tmp_path) if line.get("request_id") == "counted-0"]
    assert len(lines) == 1
    [line] = lines
    assert line["operation"] == "Counted" and line["status"] == 200 and line["method"] == "POST"
    assert line["path"] == "/graphql" and line["duration_ms"] >= 0 and line["level"] == "info"
    assert line["pid"] in pids and line["timestamp"]
    assert not [line for line in log_lines(tmp_path) if line.get("logger") == "uvicorn.access"]  # ours replaces it

    process.send_signal(signal.SIGTERM)  # the supervisor stops its workers, each one gracefully
    assert process.wait(timeout=60) == 0
    assert sum(line["event"] == "Application shutdown complete." for line in log_lines(tmp_path)) == 2


async def test_no_access_log_means_no_request_lines(children, serve_env, tmp_path):
    _process, base = children.serve({**serve_env, "PORTAL_LOG_FORMAT": "text"}, "--no-access-log")
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await ask(client, "query Quiet { __typename }", "Quiet", **{"x-request-id": "quiet-1"})).status_code == 200
        assert requests_of(await scrape(client), "Quiet", "ok") == 1  # counted all the same
    text = "".join(log.read_text() for log in tmp_path.glob("serve-*.log"))
    assert "Application startup complete" in text and "quiet-1" not in text


def test_sigterm_lets_the_request_in_flight_finish_then_exits_cleanly(children, serve_env, tmp_path):
    process, base = children.serve(serve_env)
    port = int(base.rsplit(":", 1)[1])
    body = json.dumps({"query": "query Last { __typename }", "operationName": "Last"}).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(
            b"POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
            b"expect: 100-continue\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n"
        )
        # The server says 100 Continue when the app first asks for the body: the request is
        # in flight, its answer not yet begun.
        assert connection.recv(1024).startswith(b"HTTP/1.1 100 Continue")
        process.send_signal(signal.SIGTERM)
        connection.sendall(body)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert json.loads(payload) == {"data": {"__typename": "Query"}}
    assert process.wait(timeout=60) == 0
    events = [line["event"] for line in log_lines(tmp_path)]
    assert any(line.get("operation") == "Last" and line.get("status") == 200 for line in log_lines(tmp_path))
    assert "Application shutdown complete." in events  # the lifespan closed the pools
