"""Every refusal answers in one shape, `{"error": {"code", "field", "message"}}`: the status says
what kind (404 not found, 403 forbidden, 409 broken rule, 422 bad input), the code is stable for
programs, the field names what is at fault, the message says why in Chinese; and nothing is left
in the log by a refused command."""

from __future__ import annotations

import logging
from uuid import UUID

import pytest

from adapters.http.errors import NAMED, RULES, describe
from domain import errors as domain_errors
from services import errors as service_errors
from tests.http.conftest import World, problem
from tests.services.conftest import AUDITOR, JointInspection

NOBODY = "00000000-0000-4000-8000-000000000000"


def log_length(world: World) -> int:
    return sum(1 for _ in world.service.auditor.export(AUDITOR))


@pytest.fixture
def joint(world: World) -> JointInspection:
    return JointInspection(world.service).drawn()


async def test_an_unknown_task_is_404_naming_the_task(world: World, joint: JointInspection) -> None:
    async with world.key("police") as police:
        answer = await police.post(f"/api/v1/tasks/{NOBODY}/confirm", json={})

    assert answer.status_code == 404
    assert problem(answer) == {
        "code": "not_found",
        "field": "task_id",
        "message": f"没有该抽查任务：{NOBODY}",
    }


async def test_a_department_that_may_not_is_403_naming_the_actor(
    world: World, joint: JointInspection
) -> None:
    before = log_length(world)
    async with world.key("police") as police:
        answer = await police.post(
            f"/api/v1/tasks/{joint.task_id}/match", json={"at": "2023-11-07T09:00:00+08:00"}
        )

    assert answer.status_code == 403
    error = problem(answer)
    assert (error["code"], error["field"]) == ("forbidden", "actor")
    assert "无权随机匹配检查组" in error["message"]
    assert log_length(world) == before


async def test_a_broken_rule_is_409_with_its_own_code(world: World, joint: JointInspection) -> None:
    async with world.key("education") as education:
        answer = await education.post(
            f"/api/v1/tasks/{joint.task_id}/publish", json={"at": "2023-11-20T10:00:00+08:00"}
        )

    assert answer.status_code == 409
    error = problem(answer)
    assert (error["code"], error["field"]) == ("groups_not_matched", "task_id")
    assert error["message"] == "检查组尚未匹配：2023年迁安市校外培训机构跨部门联合抽查"


async def test_a_bad_value_is_422_naming_the_row_and_field(world: World) -> None:
    async with world.key("education") as education:
        opened = await education.post("/api/v1/target-directories", json={"name": "名录库"})
        directory_id = opened.json()["directory_id"]
        row = {
            "credit_code": "52130283MJ00000011",  # the wrong check character
            "name": "迁安市第1培训学校",
            "category": "校外培训机构",
            "region": "迁安市",
            "risk_grade": "A",
        }
        answer = await education.post(
            f"/api/v1/target-directories/{directory_id}/targets",
            json={"targets": [{**row, "credit_code": "52130283MJ00000010"}, row]},
        )

    assert answer.status_code == 422
    error = problem(answer)
    assert (error["code"], error["field"]) == ("invalid_credit_code", "targets.1.credit_code")
    assert "校验码" in error["message"]


async def test_a_request_off_its_schema_is_422_naming_the_field_in_chinese(
    world: World, joint: JointInspection
) -> None:
    async with world.key("police") as police:
        answer = await police.post(
            f"/api/v1/tasks/{joint.task_id}/decline", json={"at": "昨天", "reason": "无法派员"}
        )

    assert answer.status_code == 422
    assert problem(answer) == {
        "code": "invalid_request",
        "field": "at",
        "message": "应为 ISO 8601 时间，例如 2023-11-01T09:00:00+08:00",
    }


async def test_a_moment_ahead_of_the_clock_is_422_naming_at(
    world: World, joint: JointInspection
) -> None:
    async with world.key("police") as police:
        answer = await police.post(
            f"/api/v1/tasks/{joint.task_id}/confirm", json={"at": "2099-01-01T09:00:00+08:00"}
        )

    assert answer.status_code == 422
    assert problem(answer)["code"] == "ahead_of_clock"
    assert problem(answer)["field"] == "at"


async def test_the_public_refused_is_asked_to_sign_in(world: World) -> None:
    async with world.client() as public:
        answer = await public.get("/api/v1/tasks")

    assert answer.status_code == 401
    assert problem(answer)["code"] == "not_signed_in"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


async def test_an_unknown_address_is_404_in_the_same_shape(world: World) -> None:
    async with world.client() as public:
        answer = await public.get("/api/v1/nothing-here")

    assert answer.status_code == 404
    assert problem(answer)["code"] == "route_not_found"


async def test_a_fault_of_ours_is_500_with_a_request_id_and_no_trace(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("connection to 10.0.0.7 lost; secret=hunter2")

    monkeypatch.setattr(world.service.queries, "tasks", broken)
    async with world.key("education") as education:
        with caplog.at_level(logging.ERROR, logger="ssj.http"):
            answer = await education.get("/api/v1/tasks")

    assert answer.status_code == 500
    body = answer.json()
    assert body["error"]["code"] == "internal"
    assert body["request_id"] == answer.headers["X-Request-ID"]
    assert body["request_id"] in body["error"]["message"]
    for leak in ("Traceback", "RuntimeError", "10.0.0.7", "hunter2", "File "):
        assert leak not in answer.text
    assert answer.headers["Content-Security-Policy"]  # the headers are on a fault's answer too
    [logged] = [r for r in caplog.records if r.getMessage() == "fault"]
    assert logged.exc_info is not None  # the trace is the server's, under the same id
    assert logged.ssj_fields["request_id"] == body["request_id"]


def every_error(kind: type[Exception]) -> list[type[Exception]]:
    found = []
    for sub in kind.__subclasses__():
        found += [sub, *every_error(sub)]
    return found


@pytest.mark.parametrize(
    "kind",
    every_error(domain_errors.DomainError) + every_error(service_errors.ServiceError),
    ids=lambda k: k.__name__,
)
def test_every_error_of_the_domain_and_services_has_its_answer(kind: type[Exception]) -> None:
    """No refusal falls through to a generic answer: each class is in the one mapping."""
    own_branch = (service_errors.NotFoundError, service_errors.CommandAlreadyAppliedError)
    assert kind in RULES or kind in NAMED or kind in own_branch, (
        f"{kind.__name__} has no status and code of its own in adapters/http/errors.py"
    )


def test_a_locked_account_is_told_when_to_come_back() -> None:
    from datetime import datetime, timedelta

    from services.accounts import AccountLockedError

    now = datetime(2024, 1, 10, 9, 0).astimezone()
    answer = describe(AccountLockedError(now + timedelta(minutes=15)), now=now)

    assert (answer.status, answer.code, answer.field) == (429, "account_locked", "username")
    assert answer.headers["Retry-After"] == "900"


def test_the_message_names_no_field_twice() -> None:
    answer = describe(domain_errors.InvalidValueError("due", "日期 YYYY-MM-DD", "明天"))
    assert (answer.field, answer.message) == ("due", "应为日期 YYYY-MM-DD（收到 “明天”）")
    assert UUID(NOBODY)


def test_the_item_lists_and_documents_refusals_have_their_codes() -> None:
    from domain.item_catalogue import DuplicateItemError, UnknownItemError
    from services.documents import DocumentMismatchError

    duplicate = describe(DuplicateItemError("JY-1"))
    assert (duplicate.status, duplicate.code, duplicate.field) == (409, "duplicate_item", "code")
    assert duplicate.message == "事项编号 JY-1 已在抽查事项清单中"
    unknown = describe(UnknownItemError("JY-9"))
    assert (unknown.status, unknown.code, unknown.field) == (404, "unknown_item", "code")
    mismatch = describe(DocumentMismatchError("ABCD1234", "a" * 64, "b" * 64))
    assert (mismatch.status, mismatch.code, mismatch.field) == (
        409,
        "document_mismatch",
        "document",
    )
    assert "a" * 64 in mismatch.message and "b" * 64 in mismatch.message
