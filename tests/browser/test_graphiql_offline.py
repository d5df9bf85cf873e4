"""GraphiQL on a machine without outside access: in headless Chromium, with no host name
resolvable and only the API's loopback address reachable, its page renders the editor and the
explorer plugin, and loads the schema (it marks an unknown field as an error, which only a
schema can tell)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}"


async def test_graphiql_renders_with_only_the_api_reachable(load_page, api):
    dom = await load_page(api.base_url + "/graphql?q=" + quote("{ noSuchField }"), budget_ms=15_000)
    assert "Loading..." not in dom
    assert 'class="graphiql-container"' in dom
    assert 'aria-label="Query Editor"' in dom and "CodeMirror" in dom
    assert 'aria-label="Show GraphiQL Explorer"' in dom  # the explorer plugin
    assert re.search(r'class="[^"]*CodeMirror-lint-mark-error[^"]*">noSuchField<', dom), "the schema did not load"

    # The page names nothing elsewhere.
    page = (await api.client.get("/graphql", headers={"accept": "text/html"})).text
    assert not re.findall(r'(?:src|href)="(?!data:|/graphiql/)', page)
