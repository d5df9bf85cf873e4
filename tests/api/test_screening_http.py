"""Screening over real HTTP: a supplier disguises contact details and names, a moderator sees
each one flagged, with a span that cuts exactly that piece out of the text the server shows."""

from __future__ import annotations

import pytest
from ids import gid


SUBMIT = "mutation($input: SubmitResponseInput!) { submitResponse(input: $input) { id } }"
ONE = "query($id: ID!) { response(id: $id) { text flags { kind source start end match } } }"


@pytest.fixture
async def world(api, people):
    return api, people.alpha, people.mod1


# Characters that NFKC lengthens ("ﬁ", "…") and zero-width spaces come first, so that a span
# computed on the normal form and not mapped back would point beside its piece.
DISGUISED = {
    "EMAIL": [
        "hr[at]alpha-garments[dot]com[dot]kh",
        "ｍｏｎｉｔｏｒ＠ｅｘａｍｐｌｅ．ｃｏｍ",
        "jo\u200bhn@exa\u200bmple.org",
        "hr at alpha dot org",
    ],
    "LINK": ["alpha-garments dot com", "alpha[.]com"],
    "PERSONAL_NAME": ["MR JOHN SMITH", "mr sok dara", "Madam Chan Thida", "Lok Srey Mom", "លោក សុខ ដារា"],
}
TEXT = (
    "Overtime is ﬁxed… Contact hr[at]alpha-garments[dot]com[dot]kh or ｍｏｎｉｔｏｒ＠ｅｘａｍｐｌｅ．ｃｏｍ, "
    "or jo\u200bhn@exa\u200bmple.org, or hr at alpha dot org. The policy is on alpha-garments dot com "
    "and alpha[.]com. Ask MR JOHN SMITH, mr sok dara or Madam Chan Thida; Lok Srey Mom and "
    "លោក សុខ ដារា know. We met at the factory gate; the dot matrix printer works again."
)


async def test_a_moderator_sees_each_disguise_flagged_with_its_exact_span(world):
    api, supplier, moderator = world
    variables = {"input": {"assessmentId": gid("Assessment", "KH-A-A2"), "text": TEXT}}
    rid = (await api.query(SUBMIT, variables, supplier))["submitResponse"]["id"]

    response = (await api.query(ONE, {"id": rid}, moderator))["response"]
    shown = response["text"]
    assert shown == TEXT  # stored and shown as submitted, not in its normal form
    got = [(f["kind"], f["source"], f["start"], f["end"], f["match"]) for f in response["flags"]]
    expected = [
        (kind, "text", shown.index(piece), shown.index(piece) + len(piece), piece)
        for kind, pieces in DISGUISED.items()
        for piece in pieces
    ]
    assert sorted(got, key=lambda f: f[2]) == sorted(expected, key=lambda f: f[2])
    for _, _, start, end, match in got:
        assert shown[start:end] == match  # what the moderator UI highlights
