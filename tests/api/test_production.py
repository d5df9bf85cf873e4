"""PORTAL_ENV=production: no GraphiQL, no introspection for anonymous clients, SDL still published."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from servers import serving

from transparency_portal.domain.moderation import Role
from transparency_portal.schema.http.app import create_app
from transparency_portal.workflows.users import add_user

INTROSPECT = "{ __schema { queryType { name } } }"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_production_closes_graphiql_and_anonymous_introspection(settings, engine, sessions):
    moderator = (await add_user(sessions, name="Moderator", role=Role.MODERATOR)).token
    app = create_app(dataclasses.replace(settings, production=True))
    async with serving(app) as base, httpx.AsyncClient(base_url=base) as client:
        page = await client.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code in (404, 406) and "graphiql" not in page.text.lower()

        anonymous = (await client.post("/graphql", json={"query": INTROSPECT})).json()
        assert anonymous["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "data" not in anonymous or anonymous["data"] is None
        assert (await client.post("/graphql", json={"query": "{ __typename }"})).json() == {"data": {"__typename": "Query"}}

        signed_in = await client.post("/graphql", json={"query": INTROSPECT}, headers={"authorization": f"Bearer {moderator}"})
        assert signed_in.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
        sdl = await client.get("/schema.graphql")
        assert sdl.status_code == 200 and "type Query" in sdl.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_development_keeps_both(api):
    assert "graphiql" in (await api.client.get("/graphql", headers={"accept": "text/html"})).text.lower()
    assert (await api.post(INTROSPECT)).json()["data"]["__schema"]["queryType"]["name"] == "Query"
