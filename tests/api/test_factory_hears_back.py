"""The factory hears back, through real HTTP on SQLite and PostgreSQL: a removal's explanation
(for the factory's users and moderators, never the public; the note stays internal),
`viewer { responses }` (every state, newest first, paged, by state), and `revises` (a new
response linked to a removed one of the same factory and current assessment)."""

from __future__ import annotations

from exports import all_compliant, assessment, merge
from ids import gid

A2, B2 = gid("Assessment", "KH-A-A2"), gid("Assessment", "KH-B-A2")
SUBMIT = """mutation($input: SubmitResponseInput!) { submitResponse(input: $input) {
  id state revises { id state explanation } } }"""
APPROVE = "mutation($id: ID!) { approveResponse(id: $id, version: 1) { id state } }"
REMOVE = """mutation($id: ID!, $version: Int!, $explanation: String) {
  removeResponse(id: $id, version: $version, reason: IDENTIFIES_PERSON, note: "internal: named the HR manager",
    explanation: $explanation) { id state removalReason explanation } }"""
ONE = "query($id: ID!) { response(id: $id) { id state removalReason explanation revises { id } history { note } } }"
DECIDE = """mutation($decisions: [DecisionInput!]!) { decideResponses(decisions: $decisions) {
  ok response { explanation } error { code message } } }"""
MINE = """query($first: Int, $after: String, $state: ResponseState) { viewer { name responses(first: $first, after: $after, state: $state) {
  totalCount edges { cursor node { id text state removalReason explanation revises { id } } }
  pageInfo { hasNextPage hasPreviousPage endCursor } } } }"""
EXPLANATION = "Please remove the manager's name and describe the new grievance procedure instead."


async def submit(api, token: str, text: str, *, assessment: str = A2, revises: str | None = None) -> dict:
    variables = {"input": {"assessmentId": assessment, "text": text, "revises": revises}}
    return (await api.query(SUBMIT, variables, token))["submitResponse"]


async def remove(api, token: str, response_id: str, explanation: str | None = EXPLANATION, version: int = 1) -> dict:
    variables = {"id": response_id, "version": version, "explanation": explanation}
    return (await api.query(REMOVE, variables, token))["removeResponse"]


async def test_a_removal_explains_itself_to_the_factory_and_to_no_one_else(api, people):
    response = (await submit(api, people.alpha, "Mr Sok Dara, our HR manager, fixed the exits."))["id"]
    removed = await remove(api, people.mod1, response, f"  {EXPLANATION}\n")
    assert removed == {"id": response, "state": "REMOVED", "removalReason": "IDENTIFIES_PERSON", "explanation": EXPLANATION}

    # The author's colleague reads it on response(id:) and in viewer.responses; the note is not theirs.
    colleague = (await api.query(ONE, {"id": response}, people.alpha2))["response"]
    assert colleague["explanation"] == EXPLANATION and colleague["history"] is None
    [mine] = (await api.query(MINE, {}, people.alpha2))["viewer"]["responses"]["edges"]
    assert mine["node"]["explanation"] == EXPLANATION and mine["node"]["removalReason"] == "IDENTIFIES_PERSON"
    # Moderators see both, the note in the audit trail only.
    moderator = (await api.query(ONE, {"id": response}, people.mod2))["response"]
    assert moderator["explanation"] == EXPLANATION
    assert moderator["history"][-1]["note"] == "internal: named the HR manager"
    # Another factory and the public see nothing of it.
    for token in (people.beta, None):
        [error] = await api.errors(ONE, {"id": response}, token)
        assert error["extensions"]["code"] == "NOT_FOUND"
    assert (await api.query("query($id: ID!) { node(id: $id) { id } }", {"id": response}))["node"] is None


async def test_an_explanation_goes_with_removals_only_and_has_a_length_limit(api, people):
    response = (await submit(api, people.alpha, "Exits unlocked."))["id"]
    [error] = await api.errors(REMOVE, {"id": response, "version": 1, "explanation": "x" * 2001}, people.mod1)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["argument"] == "explanation"
    assert (await api.query(ONE, {"id": response}, people.mod1))["response"]["state"] == "SUBMITTED"

    # decideResponses passes it through for REMOVE, and refuses it with any other decision.
    other = (await submit(api, people.alpha, "Wages paid on time."))["id"]
    results = (await api.query(DECIDE, {"decisions": [
        {"id": other, "version": 1, "action": "APPROVE", "explanation": "not for approvals"},
        {"id": response, "version": 1, "action": "REMOVE", "reason": "OFF_TOPIC", "explanation": "x" * 2000},
        {"id": other, "version": 1, "action": "REMOVE", "reason": "OFF_TOPIC", "explanation": EXPLANATION},
    ]}, people.mod1))["decideResponses"]  # fmt: skip
    assert [(r["ok"], r["error"] and r["error"]["code"]) for r in results] == [
        (False, "BAD_USER_INPUT"), (True, None), (True, None)
    ]  # fmt: skip
    assert results[1]["response"]["explanation"] == "x" * 2000
    assert (await api.query(ONE, {"id": other}, people.alpha))["response"]["explanation"] == EXPLANATION


async def test_viewer_responses_are_the_factorys_own_newest_first_in_every_state(api, people):
    first = (await submit(api, people.alpha, "First: exits unlocked."))["id"]
    second = (await submit(api, people.alpha2, "Second: wages paid on time."))["id"]
    third = (await submit(api, people.alpha, "Third: a new canteen."))["id"]
    await submit(api, people.beta, "Beta's own answer.", assessment=B2)
    await api.query(APPROVE, {"id": first}, people.mod1)
    await remove(api, people.mod1, second)

    page = (await api.query(MINE, {"first": 2}, people.alpha))["viewer"]["responses"]
    assert page["totalCount"] == 3
    assert [(e["node"]["id"], e["node"]["state"]) for e in page["edges"]] == [(third, "SUBMITTED"), (second, "REMOVED")]
    assert page["pageInfo"]["hasNextPage"] and not page["pageInfo"]["hasPreviousPage"]
    assert page["edges"][1]["node"]["explanation"] == EXPLANATION
    rest = (await api.query(MINE, {"first": 2, "after": page["pageInfo"]["endCursor"]}, people.alpha))["viewer"]["responses"]
    assert [(e["node"]["id"], e["node"]["state"]) for e in rest["edges"]] == [(first, "APPROVED")]
    assert not rest["pageInfo"]["hasNextPage"] and rest["pageInfo"]["hasPreviousPage"]

    removed = (await api.query(MINE, {"state": "REMOVED"}, people.alpha2))["viewer"]["responses"]
    assert removed["totalCount"] == 1 and [e["node"]["id"] for e in removed["edges"]] == [second]
    beta = (await api.query(MINE, {}, people.beta))["viewer"]["responses"]
    assert [e["node"]["text"] for e in beta["edges"]] == ["Beta's own answer."]

    # Nobody else acts for a factory: FORBIDDEN for moderators, and no viewer at all without a token.
    body = (await api.post(MINE, {}, people.mod1)).json()
    assert body["data"]["viewer"] == {"name": "Moderator One", "responses": None}
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await api.query(MINE, {}))["viewer"] is None
    [error] = await api.errors(MINE, {"after": "not a cursor"}, people.alpha)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "after"}


async def test_a_new_response_revises_a_removed_one_and_only_the_factory_and_moderators_see_the_link(api, people):
    removed = (await submit(api, people.alpha, "Mr Sok Dara fixed the exits."))["id"]
    await remove(api, people.mod1, removed)
    revision = await submit(api, people.alpha2, "The exits were fixed; the grievance procedure is posted.", revises=removed)
    assert revision["revises"] == {"id": removed, "state": "REMOVED", "explanation": EXPLANATION}

    for token in (people.alpha, people.mod2):
        assert (await api.query(ONE, {"id": revision["id"]}, token))["response"]["revises"] == {"id": removed}
    mine = (await api.query(MINE, {"first": 1}, people.alpha))["viewer"]["responses"]["edges"]
    assert mine[0]["node"]["revises"] == {"id": removed}
    # Once approved, the public sees the new response, never what it revises.
    await api.query(APPROVE, {"id": revision["id"]}, people.mod1)
    public = (await api.query(ONE, {"id": revision["id"]}))["response"]
    assert public["state"] == "APPROVED" and public["revises"] is None and public["explanation"] is None
    assert (await api.query(ONE, {"id": revision["id"]}, people.beta))["response"]["revises"] is None


async def test_revises_must_name_a_removed_response_of_the_factory_to_the_current_assessment(api, people, load):
    waiting = (await submit(api, people.alpha, "Still waiting."))["id"]
    betas = (await submit(api, people.beta, "Beta's, removed.", assessment=B2))["id"]
    await remove(api, people.mod1, betas)
    never = gid("Response", "0" * 24)

    async def refused(revises: str) -> dict:
        [error] = await api.errors(SUBMIT, {"input": {"assessmentId": A2, "text": "A revision.", "revises": revises}}, people.alpha)
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["argument"] == "revises"
        return error

    # Another factory's response gets the very answer of an id that never existed.
    assert (await refused(betas))["message"] == (await refused(never))["message"]
    assert "removed" in (await refused(waiting))["message"]
    await refused("not an id")
    await refused(gid("Factory", "KH-A"))

    # A removed response to an assessment that is no longer the current one cannot be revised.
    old = (await submit(api, people.alpha, "On the old assessment."))["id"]
    await remove(api, people.mod1, old)
    await load(merge({"assessments": [assessment("KH-A-A3", "KH-A", 3, 10, all_compliant())]}))
    [error] = await api.errors(
        SUBMIT, {"input": {"assessmentId": gid("Assessment", "KH-A-A3"), "text": "New.", "revises": old}}, people.alpha
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["argument"] == "revises"
    mine = (await api.query(MINE, {}, people.alpha))["viewer"]["responses"]
    assert mine["totalCount"] == 2  # nothing refused was written
