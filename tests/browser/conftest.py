"""Headless Chromium (Debian's `chromium`) for tests that need a real browser: `load_page(url)`
opens a page, lets it run, and returns its DOM as the page left it.

Chromium runs with a fresh profile, no sandbox (tests run as root in CI), nothing of its own on
the network, and every host name unresolvable: a page reaches only the loopback servers the
test started, by address, as on a machine without outside access.
"""

from __future__ import annotations

import asyncio
import shutil

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
# Chromium's own start and stop; the page's time is its virtual time budget.
WALL_SECONDS = 120


@pytest.fixture(scope="session")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("Chromium is not installed (Debian: `apt-get install chromium`; `make test` installs it as root)")
    return path


@pytest.fixture
def load_page(chromium, tmp_path):
    """`await load_page(url, budget_ms)`: the DOM after the page ran for `budget_ms` of virtual
    time (Chromium waits for the network meanwhile: a page's fetches finish within it)."""
    runs = iter(range(1_000))

    async def load(url: str, budget_ms: int = 10_000) -> str:
        profile = tmp_path / f"chromium-profile-{next(runs)}"
        process = await asyncio.create_subprocess_exec(
            chromium, *FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}", "--dump-dom", url,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            dom, errors = await asyncio.wait_for(process.communicate(), WALL_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
        assert process.returncode == 0, errors.decode(errors="replace")[-3000:]
        return dom.decode()

    return load
