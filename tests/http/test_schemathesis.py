"""The OpenAPI document is what the API does: schemathesis sends requests generated from it to
every operation, as education's system (the lead of 迁安市's joint task, published and following
up, so most commands reach the task's own rules) and as the office signed in, and checks that no
answer is a 500, each status is documented, and each body fits the schema its status declares."""

from __future__ import annotations

import asyncio

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.http.conftest import PASSWORD, World, service_at
from tests.services.conftest import JointInspection

EXAMPLES = 4
"""Examples per operation and principal: the whole file well under a minute."""

_service = service_at()
_world = World.of(_service)
_joint = JointInspection(_service).published()


async def _office() -> dict[str, str]:
    async with _world.client() as client:
        answer = await client.post(
            "/api/v1/session", json={"username": "office_li", "password": PASSWORD}
        )
        return {
            "Cookie": f"ssj_session={client.cookies['ssj_session']}",
            "X-CSRF-Token": answer.json()["csrf_token"],
        }


PRINCIPALS = {
    "education": {"Authorization": f"Bearer {_world.tokens['education']}"},
    "office": asyncio.run(_office()),
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_asgi("/openapi.json", _world.app)


@schema.include(path_regex="^/api/v1/").parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_its_schema_says(case: schemathesis.Case) -> None:
    for headers in PRINCIPALS.values():
        case.call_and_validate(headers=headers, checks=CHECKS)
