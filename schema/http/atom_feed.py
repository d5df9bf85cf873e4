"""GET /feeds/changes.atom: the newest 100 changes of the feed as Atom 1.0 (RFC 4287), for feed
readers, with the filters of `changes` as query parameters (`?country=KH&factory=<Factory id>`,
each repeatable).

Each entry is one change: its title in words, from what the public saw at the time (the factory's
name then, its number of non-compliances then, the issue's title), `id` the change's URN, `updated`
its `at`, and a link to the factory (`PORTAL_FACTORY_URL`, else a GET /graphql URL of the factory's
node). The XML is built by xml.etree, which escapes every text. The answer carries a strong ETag
(of its bytes) and Last-Modified (when its newest entry was recorded); `If-None-Match`, else
`If-Modified-Since`, gets 304. Errors are those of the CSV exports: an unknown parameter or a
malformed value 400, an unknown country 404.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from ...domain.public_changes import ChangeKind
from ...resolvers.exports import parameters
from ...resolvers.ids import change_ids, node_key, to_global
from ...resolvers.issues import country_programme
from ...resolvers.loaders import Loaders
from ...storage.db import Sessions
from ...storage.public_changes import FeedFilter, newest_changes
from ...storage.tables.public_changes import PublicChangeRow
from .asgi import answer_or_error, if_none_match

ATOM = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
PATH = "/feeds/changes.atom"
ENTRIES = 100
PARAMETERS = {"country": True, "factory": True}
# The factory's node, for the default link: a GET the API answers (and a CDN may cache).
FACTORY_QUERY = (
    "query ($id: ID!) { node(id: $id) { ... on Factory { id name country { code name } complianceStatus "
    "nonComplianceCount leftProgrammeOn latestAssessment { id date modality nonCompliances { issue { code title } } } } } }"
)
# Characters XML 1.0 cannot hold at all (xml.etree would write them, and readers refuse the feed).
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# What the feed's `updated` says before the first change.
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)

ET.register_namespace("", ATOM)


def changes_atom(sessions: Sessions, clock: Callable[[], datetime], *, public_url: str, factory_url: str):
    links = FactoryLinks(public_url, factory_url)

    async def endpoint(request: Request) -> Response:
        async def prepare() -> Response:
            loaders = Loaders(sessions, clock().date())
            feed = await _feed_filter(loaders, request.query_params.multi_items())
            async with sessions() as session:
                rows = await newest_changes(session, ENTRIES, feed)
            questions = await loaders.question.load_many(sorted({r.question_id for r in rows if r.question_id}))
            issues = {q.id: q.title("en") for q in questions if q is not None}
            body = render(rows, feed, issues, links, public_url)
            return _conditional(request, body, max((r.recorded_at for r in rows), default=None))

        return await answer_or_error(prepare)

    return endpoint


async def _feed_filter(loaders: Loaders, items: Iterable[tuple[str, str]]) -> FeedFilter:
    found = parameters(items, PARAMETERS)
    # As the country report: a country without a programme is NOT_FOUND (404), not an empty feed.
    countries = [(await country_programme(loaders, code)).code for code in found.get("country", [])]
    factories = [node_key(f, "Factory", "factory") for f in found.get("factory", [])]
    return FeedFilter(tuple(sorted(set(countries))), tuple(sorted(set(factories))))


class FactoryLinks:
    """Where an entry links: `PORTAL_FACTORY_URL` with the factory's id for `{id}`, else the
    factory's node over GET /graphql on `PORTAL_PUBLIC_URL` (a path on this host without it)."""

    def __init__(self, public_url: str, template: str) -> None:
        self.public_url = public_url
        self.template = template

    def __call__(self, factory_source_id: str) -> str:
        factory_id = to_global("Factory", factory_source_id)
        if self.template:
            return self.template.replace("{id}", quote(factory_id, safe=""))
        query = urlencode({"query": FACTORY_QUERY, "variables": json.dumps({"id": factory_id}, separators=(",", ":"))})
        return f"{self.public_url}/graphql?{query}"


def render(
    rows: Sequence[PublicChangeRow], feed: FeedFilter, issues: dict[str, str], links: FactoryLinks, public_url: str
) -> bytes:
    """The Atom document of these entries (newest first)."""
    query = urlencode([*(("country", c) for c in feed.countries), *(("factory", to_global("Factory", f)) for f in feed.factories)])
    self_url = f"{public_url}{PATH}" + (f"?{query}" if query else "")
    root = ET.Element(_atom("feed"))
    # Stable for the same filter: a reader that saw this feed knows it again.
    _text(root, "id", uuid.uuid5(uuid.NAMESPACE_URL, f"transparency-portal:{PATH}?{query}").urn)
    scope = ", ".join([*feed.countries, *(to_global("Factory", f) for f in feed.factories)])
    _text(root, "title", "Transparency Portal: changes to public factory records" + (f" ({scope})" if scope else ""))
    _text(root, "subtitle", "New assessments, corrections, responses, and factories entering or leaving public view.")
    newest = max((r.recorded_at for r in rows if r.recorded_at), default=BEGINNING)
    _text(root, "updated", _instant(newest))
    ET.SubElement(root, _atom("link"), rel="self", type="application/atom+xml", href=self_url)
    author = ET.SubElement(root, _atom("author"))
    _text(author, "name", "Transparency Portal")
    _text(root, "generator", "Transparency Portal API")
    for row in rows:
        _entry(root, row, issues, links)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _entry(root: ET.Element, row: PublicChangeRow, issues: dict[str, str], links: FactoryLinks) -> None:
    entry = ET.SubElement(root, _atom("entry"))
    _text(entry, "id", uuid.UUID(row.uuid).urn)
    _text(entry, "title", title(row, issues))
    _text(entry, "updated", _instant(row.at))
    ET.SubElement(entry, _atom("link"), rel="alternate", href=links(row.factory_source_id))
    ET.SubElement(entry, _atom("category"), term=row.kind, label=row.kind.replace("_", " ").capitalize())
    _text(entry, "summary", f"{title(row, issues)}. " + "; ".join(f"{word} id: {value}" for word, value in _ids(row)) + ".")


def _ids(row: PublicChangeRow) -> list[tuple[str, str]]:
    """The API's ids the change names, as `PublicChange` gives them."""
    ids = change_ids(row)
    named = [("factory", ids.factory), ("assessment", ids.assessment), ("finding", ids.finding), ("response", ids.response)]
    return [(word, value) for word, value in named if value]


def title(row: PublicChangeRow, issues: dict[str, str]) -> str:
    """The entry's title in words, e.g. "Alpha Garments: new assessment published, 3 non-compliances"."""
    n = row.non_compliances
    counted = "no non-compliance" if n == 0 else f"{n} non-compliance{'s' if n != 1 else ''}"
    issue = issues.get(row.question_id or "", row.question_id or "")
    words = {
        ChangeKind.FACTORY_PUBLISHED: f"now public, {counted}",
        ChangeKind.ASSESSMENT_PUBLISHED: f"new assessment published, {counted}",
        ChangeKind.FINDING_CORRECTED: f"finding corrected ({issue}), now {counted}",
        ChangeKind.FACTORY_UPDATED: f"public record updated, {counted}",
        ChangeKind.RESPONSE_PUBLISHED: "factory response published" + (f" on {issue}" if issue else ""),
        ChangeKind.RESPONSE_UNPUBLISHED: "factory response no longer public",
        ChangeKind.FACTORY_UNPUBLISHED: "no longer public",
    }[ChangeKind(row.kind)]
    return f"{row.factory_name}: {words}"


def _conditional(request: Request, body: bytes, last_modified: datetime | None) -> Response:
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    # Public, but a cache asks again before each use (a 304 is cheap): a new change shows at once.
    headers = {"ETag": etag, "Cache-Control": "public, no-cache"}
    if last_modified is not None:
        headers["Last-Modified"] = format_datetime(last_modified.astimezone(UTC), usegmt=True)
    matches = request.headers.get("if-none-match")
    if matches is not None:  # RFC 9110 §13.2.2: If-Modified-Since only without If-None-Match
        if etag in if_none_match(matches) or matches.strip() == "*":
            return Response(status_code=304, headers=headers)
    elif last_modified is not None and _not_modified_since(request.headers.get("if-modified-since"), last_modified):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=ATOM_TYPE, headers=headers)


def _not_modified_since(value: str | None, last_modified: datetime) -> bool:
    if not value:
        return False
    try:
        since = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False  # an invalid date is ignored (RFC 9110 §13.1.3)
    if since.tzinfo is None:
        return False
    return last_modified.replace(microsecond=0) <= since


def _atom(tag: str) -> str:
    return f"{{{ATOM}}}{tag}"


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, _atom(tag))
    element.text = NOT_XML.sub("", text)
    return element


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
