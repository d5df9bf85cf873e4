"""A GraphQL client of a running server over real HTTP (the `api` fixture's, and any test's that
serves an app of its own)."""

from __future__ import annotations

from sqlalchemy import event


class Api:
    """A client of the running server: real HTTP over loopback."""

    def __init__(self, client, base_url: str = "", app=None) -> None:
        self.client = client
        self.base_url = base_url
        self.app = app

    def count_statements(self) -> list[str]:
        """A list that collects every SQL query the server runs from now on (not BEGIN)."""
        statements: list[str] = []

        def collect(conn, cursor, statement, *args):
            if not statement.startswith("BEGIN"):
                statements.append(statement)

        for engine in self.app.state.hot_reads.sync_engines():
            event.listen(engine, "before_cursor_execute", collect)
        return statements

    async def post(self, query: str, variables: dict | None = None, token: str | None = None, **kwargs):
        headers = {**kwargs.pop("headers", {}), **({"authorization": f"Bearer {token}"} if token else {})}
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers, **kwargs
        )

    async def query(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        """The `data` of a query that must succeed."""
        response = await self.post(query, variables, token)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def errors(self, query: str, variables: dict | None = None, token: str | None = None) -> list[dict]:
        """The errors of a query that must fail."""
        body = (await self.post(query, variables, token)).json()
        assert body.get("errors"), body
        return body["errors"]

    async def upload(self, query: str, variables: dict, files: list[tuple[str, bytes, str]], token: str | None = None):
        """A GraphQL multipart request: `files` go to variables.input.attachments."""
        import json

        variables = {**variables, "input": {**variables["input"], "attachments": [None] * len(files)}}
        operations = json.dumps({"query": query, "variables": variables})
        mapping = json.dumps({str(i): [f"variables.input.attachments.{i}"] for i in range(len(files))})
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return await self.client.post(
            "/graphql",
            data={"operations": operations, "map": mapping},
            files={str(i): f for i, f in enumerate(files)},
            headers=headers,
        )
