"""Issue 10 over real HTTP: active PDF content never reaches the public, no file is decoded for
a supplier who may not answer, and a factory's responses have a daily quota."""

from __future__ import annotations

import asyncio
import dataclasses
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pdfs import VISIBLE_TEXT, active_content, active_pdf, visible_text
from ids import gid
from PIL import Image
from servers import serving
from sqlalchemy import func, select

from transparency_portal.schema.http.app import create_app
from transparency_portal.storage.tables.supplier_responses import ResponseRow

SUBMIT = "mutation($input: SubmitResponseInput!) { submitResponse(input: $input) { id state attachments { url } } }"
APPROVE = "mutation($id: ID!, $version: Int!) { approveResponse(id: $id, version: $version) { state } }"
A2, B2 = gid("Assessment", "KH-A-A2"), gid("Assessment", "KH-B-A2")
QUOTA = 3


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, responses_per_day=QUOTA)


def big_png(*, cut: bool = False) -> bytes:
    """Issue 10's 250 KB PNG of 7745 x 7745 RGBA pixels (240 MB decoded); `cut`: its pixel data
    cut short, so that a decode would fail as "damaged"."""
    previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        buffer = io.BytesIO()
        Image.new("RGBA", (7745, 7745), (10, 200, 30, 255)).save(buffer, "PNG")
    finally:
        Image.MAX_IMAGE_PIXELS = previous
    data = buffer.getvalue()
    return data[: data.index(b"IDAT") + 200] if cut else data


async def submit(api, token: str, assessment: str = A2, files=(), text: str = "Our corrective action plan."):
    variables = {"input": {"assessmentId": assessment, "text": text}}
    if files:
        return (await api.upload(SUBMIT, variables, list(files), token)).json()
    return (await api.post(SUBMIT, variables, token)).json()


def code_of(body: dict) -> str:
    assert body.get("errors"), body
    return body["errors"][0]["extensions"]["code"]


async def test_an_approved_pdf_reaches_the_public_without_its_active_content(api, people):
    original = active_pdf()
    assert active_content(original)  # it really carries scripts, actions, files and forms

    body = await submit(api, people.alpha, files=[("plan.pdf", original, "application/pdf")])
    response = body["data"]["submitResponse"]
    await api.query(APPROVE, {"id": response["id"], "version": 1}, people.mod1)
    path = "/attachments/" + response["attachments"][0]["url"].rsplit("/attachments/", 1)[1]
    public = await api.client.get(path)  # anonymous: what everyone gets

    assert public.status_code == 200 and public.headers["content-type"] == "application/pdf"
    assert active_content(public.content) == []
    assert VISIBLE_TEXT in visible_text(public.content)


async def test_nothing_is_decoded_for_a_supplier_who_may_not_answer(api, people, sessions):
    too_big, damaged = big_png(), big_png(cut=True)
    # For its owner, the file is refused, as too large to decode, from its header.
    refused = await submit(api, people.alpha, files=[("plan.png", too_big, "image/png")])
    assert code_of(refused) == "BAD_USER_INPUT"
    assert refused["errors"][0]["extensions"]["reason"] == "too_large"

    # Another factory's assessment, or one that does not exist: FORBIDDEN, the same answer
    # as without a file. Had the file been decoded, it would have been refused first.
    for assessment in (A2, gid("Assessment", "NO-SUCH")):
        for name, data in (("plan.png", too_big), ("cut.png", damaged)):
            body = await submit(api, people.beta, assessment, files=[(name, data, "image/png")])
            assert code_of(body) == "FORBIDDEN", (assessment, name, body)
    async with sessions() as session:
        assert (await session.exec(select(func.count()).select_from(ResponseRow))).scalar_one() == 0


async def test_a_factory_may_submit_so_many_responses_a_day(api, people, sessions, settings):
    for n in range(QUOTA):
        body = await submit(api, people.alpha, text=f"Update {n}: the exits are unlocked.")
        assert body["data"]["submitResponse"]["state"] == "SUBMITTED", body

    over = await submit(api, people.alpha, text="One more update.")
    assert code_of(over) == "RATE_LIMITED"
    extensions = over["errors"][0]["extensions"]
    retry_at = datetime.fromisoformat(extensions["retryAt"])
    # The oldest of the three leaves the 24-hour window in a little under a day.
    assert timedelta(hours=23) < retry_at - datetime.now(UTC) <= timedelta(hours=24)
    assert extensions["limit"] == QUOTA and 0 < extensions["retryAfter"] <= 24 * 3600
    assert f"{retry_at:%Y-%m-%d %H:%M:%S} UTC" in over["errors"][0]["message"]
    # Over the quota, files are not even decoded.
    with_file = await submit(api, people.alpha, files=[("cut.png", big_png(cut=True), "image/png")])
    assert code_of(with_file) == "RATE_LIMITED"

    # The count is in the database: another server process on it refuses too.
    async with (
        serving(create_app(settings)) as other_url,
        httpx.AsyncClient(base_url=other_url, timeout=30) as other,
    ):
        body = (
            await other.post(
                "/graphql",
                json={"query": SUBMIT, "variables": {"input": {"assessmentId": A2, "text": "Via another process."}}},
                headers={"authorization": f"Bearer {people.alpha}"},
            )
        ).json()
        assert code_of(body) == "RATE_LIMITED"

    # Per factory: another factory still answers.
    other_factory = await submit(api, people.beta, B2)
    assert other_factory["data"]["submitResponse"]["state"] == "SUBMITTED"
    async with sessions() as session:
        assert (await session.exec(select(func.count()).select_from(ResponseRow))).scalar_one() == QUOTA + 1


async def test_the_quota_holds_for_submissions_at_the_same_moment(api, people, sessions):
    bodies = await asyncio.gather(
        *(submit(api, people.alpha, text=f"Simultaneous update {n}.") for n in range(QUOTA + 3))
    )
    accepted = [b for b in bodies if "errors" not in b]
    assert len(accepted) == QUOTA, bodies
    assert {code_of(b) for b in bodies if "errors" in b} == {"RATE_LIMITED"}
    async with sessions() as session:
        assert (await session.exec(select(func.count()).select_from(ResponseRow))).scalar_one() == QUOTA
