"""The `portal` command as a user runs it: real processes, a real server, README's own queries."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from exports import all_compliant, assessment, base_document, factory_with_history, merge

PORTAL = str(Path(sys.executable).parent / "portal")
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "PORTAL_ACTOR": "cli-test"}


def portal(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PORTAL, *args], env=env, capture_output=True, text=True, timeout=300)


def portals(env, *commands: tuple[str, ...]) -> list[subprocess.CompletedProcess]:
    """Commands that change nothing, run at once (each spends most of its time starting up) on a
    database already migrated (two first migrations at once would collide)."""
    with ThreadPoolExecutor(len(commands)) as pool:
        return list(pool.map(lambda args: portal(env, *args), commands))


def write(tmp_path: Path, name: str, document: dict | str) -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def test_import_accepts_good_files_once_and_refuses_bad_ones_whole(tmp_path, env):
    good = merge(base_document(), factory_with_history("KH-1", "Cli Garments (test)"))
    bad = json.loads(json.dumps(good))
    bad["factories"].append({"id": "KH-2", "name": "Second (test)", "type": "APPAREL", "country": "KH"})
    bad["assessments"][1]["findings"][2]["result"] = "COMPLAINT"

    rejected = portal(env, "import", write(tmp_path, "bad.json", bad))
    assert rejected.returncode == 1
    assert "assessments[KH-1-A2].findings[2].result" in rejected.stderr
    assert "nothing was written" in rejected.stderr
    assert "Traceback" not in rejected.stderr

    broken = portal(env, "import", write(tmp_path, "broken.json", '{"format": "assessment-export/1", "factories": ['))
    assert broken.returncode == 1 and "JSON" in broken.stderr

    dry = portal(env, "import", "--dry-run", write(tmp_path, "good.json", good))
    assert dry.returncode == 0, dry.stderr
    first = portal(env, "import", write(tmp_path, "good.json", good))
    assert first.returncode == 0, first.stderr
    again = portal(env, "import", write(tmp_path, "good.json", good))
    assert again.returncode == 0 and "nothing to change" in again.stdout

    changed = merge({"assessments": [assessment("KH-1-A2", "KH-1", 3, 100, all_compliant())]})
    refused = portal(env, "import", write(tmp_path, "fix.json", changed))
    assert refused.returncode == 1 and "--correction-reason" in refused.stderr
    accepted = portal(env, "import", "--correction-reason", "Payroll re-examined", write(tmp_path, "fix.json", changed))
    assert accepted.returncode == 0, accepted.stderr

    missing = portal(env, "import", str(tmp_path / "nope.json"))
    assert missing.returncode != 0 and "nope.json" in missing.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def readme_queries() -> list[str]:
    # The public queries: blocks fenced ```graphql; those fenced ```graphql moderator (or
    # supplier) need a token and are shown, not run, here.
    return re.findall(r"```graphql\n(.*?)```", README.read_text(), flags=re.S)


def test_demo_then_serve_answers_the_readme_queries(tmp_path, env):
    loaded = portal(env, "demo", "--factories", "60", "--if-empty")
    assert loaded.returncode == 0, loaded.stderr
    assert "60 factories" in loaded.stdout
    skipped = portal(env, "demo", "--factories", "60", "--if-empty")
    assert skipped.returncode == 0 and "already" in skipped.stdout

    port = free_port()
    server = subprocess.Popen([PORTAL, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "server did not start"
            time.sleep(0.2)

        queries = readme_queries()
        assert len(queries) >= 3
        first_id = None
        for query in queries:
            variables = {"id": first_id} if "$id" in query else {}
            body = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables}).json()
            assert "errors" not in body, (query, body)
            assert any(body["data"].values()), (query, body)
            if "factories" in body["data"]:
                edges = body["data"]["factories"]["edges"]
                assert edges, "the demo has public non-compliant factories in Cambodia"
                first_id = edges[0]["node"]["id"]
    finally:
        server.terminate()
        server.wait(timeout=30)


async def test_users_get_a_token_once_and_revoking_stops_it(tmp_path, env):
    from transparency_portal.storage.db import make_engine, make_sessions
    from transparency_portal.workflows.users import authenticate

    assert portal(env, "import", write(tmp_path, "f.json", merge(base_document(), factory_with_history("KH-1", "Cli (test)")))).returncode == 0
    factory_id = base64.b64encode(b"Factory:KH-1").decode()
    added = portal(env, "users", "add", "--role", "supplier", "--factory", factory_id, "--name", "Cli Supplier")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]
    assert token.startswith("tp_") and " " not in token

    unknown, no_factory, moderator_of_a_factory, *absurd_ones = portals(
        env,
        ("users", "add", "--role", "supplier", "--factory", base64.b64encode(b"Factory:NOPE").decode(), "--name", "X"),
        ("users", "add", "--role", "supplier", "--name", "No Factory"),
        ("users", "add", "--role", "moderator", "--factory", factory_id, "--name", "Y"),
        *(("users", "add", "--role", "moderator", "--name", "Z", "--valid-days", days) for days in ("99999999", "0")),
    )
    assert unknown.returncode == 1 and "NOPE" in unknown.stderr
    assert no_factory.returncode == 1
    assert moderator_of_a_factory.returncode == 1
    for absurd in absurd_ones:
        assert absurd.returncode == 1 and "--valid-days must be between 1 and 3650" in absurd.stderr
        assert "Traceback" not in absurd.stderr

    engine = make_engine(env["PORTAL_DATABASE_URL"].replace("sqlite://", "sqlite+aiosqlite://"))
    sessions = make_sessions(engine)
    try:
        principal = await authenticate(sessions, token)
        assert principal is not None and principal.name == "Cli Supplier" and principal.role.value == "supplier"
        listed = portal(env, "users", "list")
        assert "Cli Supplier" in listed.stdout and "KH-1" in listed.stdout
        user_number = listed.stdout.splitlines()[0].split("\t")[0]
        assert portal(env, "users", "revoke", user_number).returncode == 0
        assert await authenticate(sessions, token) is None
        assert portal(env, "users", "revoke", user_number).returncode == 1
    finally:
        await engine.dispose()
