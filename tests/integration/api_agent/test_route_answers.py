"""Every /api/v1 route of the role matrix answers an allowed caller with a JSON envelope, never a 500."""

from __future__ import annotations

from guardrails.policy import Role
from tests.integration.api.test_auth import ROUTES


def test_no_route_answers_an_admin_with_a_server_error(client, headers, loaded):
    answers = {f"{m} {p}": client.request(m, p, json=body, headers=headers[Role.ADMIN])
               for m, p, body, _ in ROUTES}

    failures = {k: (r.status_code, r.text[:200]) for k, r in answers.items() if r.status_code >= 500}
    assert failures == {}
    errors = [r for r in answers.values() if r.status_code >= 400]
    assert errors and all(r.json()["error"]["code"] for r in errors)
