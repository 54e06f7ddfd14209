"""The one mapping of every refusal to an HTTP answer: status, a stable code, the field, and the
reason in Chinese. The API answers `{"error": {"code", "field", "message"}}`; the console shows
`message` on its pages: `problem(error)` gives `(status, {"code", "field", "message"})`, and
`describe(error)` the whole answer (with its headers) the API sends.

A code is what a client's program tests; it never changes once published, even if the message
does. The message says what was expected, so department staff can fix the input themselves.

| status | code                           | field                | when                                                     |
| ------ | ------------------------------ | -------------------- | -------------------------------------------------------- |
| 422    | invalid_value                  | the field            | bad input (InvalidValueError), named by the domain       |
| 422    | invalid_credit_code            | the field            | not a 统一社会信用代码 / 注册号                          |
| 422    | invalid_request                | the field (loc)      | the request does not fit its schema (FastAPI's check)    |
| 422    | ahead_of_clock                 | at                   | `at` later than the service's clock allows               |
| 422    | calendar_data_invalid          | the field            | a year's holiday arrangement that cannot be used         |
| 422    | idempotency_key_reused         | Idempotency-Key      | the key came before with another request                 |
| 422    | commitment_mismatch            | secret               | the revealed secret is not the committed one             |
| 422    | draw_secret_missing            | secret               | no secret kept for the task and none given               |
| 409    | population_changed             | population           | the population differs from the committed one            |
| 409    | not_enough_inspectors          | department           | fewer eligible inspectors than the groups need           |
| 409    | unmatchable_target             | target               | every group must recuse from a target                    |
| 409    | duplicate_target               | credit_code          | a target already in the directory                        |
| 409    | duplicate_inspector            | inspector_id         | an inspector already in the directory                    |
| 422    | unknown_target                 | credit_code          | no such target in the directory                          |
| 404    | unknown_inspector              | inspector_id         | no such inspector in the directory                       |
| 409    | duplicate_item                 | code                 | an item code already in the department's 抽查事项清单    |
| 404    | unknown_item                   | code                 | no such item code in the list (to change or withdraw)    |
| 409    | document_mismatch              | document             | the same inputs made other bytes than the recorded hash  |
| 503    | font_missing                   | SSJ_FONT_DIR         | no CJK font to typeset a PDF with (fonts-noto-cjk)       |
| 409    | calendar_unknown               | at                   | a date in a year the work calendar does not know         |
| 409    | calendar_year_known            | year                 | a year's arrangement is loaded once                      |
| 409    | <rule>                         | task_id, target, …   | a broken rule (RuleBrokenError): the table `RULES` below |
|        |                                |                      | (a joint visit's: already_merged, windows_do_not_overlap…) |
| 404    | not_found                      | the thing's name     | no such plan, task, directory, year, user or key         |
| 404    | route_not_found                | path                 | no such address                                          |
| 405    | method_not_allowed             | method               | the address takes other methods                          |
| 403    | forbidden                      | actor                | the permission policy refused (services/permissions.py)  |
| 403    | csrf_failed                    | csrf_token           | a cookie-authenticated change without its CSRF token     |
| 403    | account_disabled               | username             | the account was disabled                                 |
| 401    | not_signed_in                  | session              | the route needs a signed-in user or an API key           |
| 401    | sign_in_failed                 | password             | wrong user name or password (answered after a delay)     |
| 401    | invalid_key                    | api_key              | an API key malformed, unknown or revoked                 |
| 429    | account_locked                 | username             | five failures in a row; Retry-After says for how long    |
| 409    | already_exists                 | the thing's name     | a plan or directory registered twice                     |
| 409    | user_exists                    | username             | the user name is taken                                   |
| 409    | idempotency_key_in_use         | Idempotency-Key      | the first request with the key is still being answered   |
| 503    | concurrent_write               | None                 | another writer kept winning; Retry-After, try again      |
| 503    | shutting_down                  | None                 | the service is stopping; Retry-After, try again          |
| 503    | store_unavailable              | None                 | the database does not answer (STORE_DOWN); Retry-After   |
| 500    | internal                       | None                 | a fault of ours: logged with the request id, no trace    |

The store being away is no fault of ours to hide behind a 500 either: the errors its drivers raise
when PostgreSQL is stopped, restarting or unreachable (`STORE_DOWN`: what eventsourcing's recorder,
psycopg and its pool, and asyncpg raise then, as tests/faults/test_store_outage.py finds them) are
answered 503 `store_unavailable` with Retry-After, so that a client or the proxy tries again. A
command refused so was not answered: sent again with its Idempotency-Key, it is applied once.

A command id applied before (CommandAlreadyAppliedError, from the bus or an earlier request) is no
refusal: the command runner answers it as a replay (adapters/http/commands.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as default
from datetime import datetime
from typing import Any

import asyncpg
import psycopg
from eventsourcing import persistence as es

from adapters.calendar import CalendarDataError
from adapters.documents.pdf import FontMissingError
from adapters.http.drawing import DrawSecretMissingError
from domain import errors as d
from domain import joint_visit as joint
from domain.item_catalogue import DuplicateItemError, UnknownItemError
from services import errors as s
from services.accounts import (
    AccountDisabledError,
    AccountLockedError,
    InvalidKeyError,
    SignInFailedError,
    UserExistsError,
)
from services.documents import DocumentMismatchError
from services.group_commit import GroupCommitClosedError
from services.idempotency import IdempotencyKeyInUseError, IdempotencyKeyReusedError

RETRY_SECONDS = 1
"""What Retry-After says after a write conflict or while the service stops."""
STORE_RETRY_SECONDS = 2
"""What Retry-After says while the database does not answer: a restart takes seconds."""

STORE_DOWN: tuple[type[BaseException], ...] = (
    es.OperationalError,  # eventsourcing's recorder, for psycopg's OperationalError
    es.InterfaceError,  # … and for its InterfaceError (a connection closed under it)
    psycopg.OperationalError,  # the accounts' and idempotency keys' pool (PoolTimeout too)
    psycopg.InterfaceError,
    asyncpg.PostgresConnectionError,  # the read models' connections
    asyncpg.OperatorInterventionError,  # the server shutting down, or still starting
    asyncpg.InterfaceError,  # "connection is closed"
    # A pooled connection the server's shutdown left mid-operation ("cannot switch to state …;
    # another operation is in progress"): the pool drops it on release, the retry gets another.
    asyncpg.InternalClientError,
    ConnectionError,  # asyncpg connecting: refused, reset
)
"""What the drivers raise when the database is away (not a fault in a query): 503."""
STORE_UNAVAILABLE = "数据库暂时无法访问，请稍后重试（同一指令请使用同一 Idempotency-Key 重发）"


@dataclass(frozen=True)
class Problem:
    """An answer that refuses: what the API sends as JSON and the console shows."""

    status: int
    code: str
    field: str | None
    message: str
    headers: Mapping[str, str] = default(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "field": self.field, "message": self.message}}


class HttpProblem(Exception):
    """A refusal of the HTTP layer's own (not signed in, CSRF, a missing secret, …)."""

    def __init__(
        self,
        status: int,
        code: str,
        field: str | None,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.problem = Problem(status, code, field, message, dict(headers or {}))
        super().__init__(message)


# Each broken rule's code and the field it is about (status 409).
RULES: dict[type[d.RuleBrokenError], tuple[str, str]] = {
    d.TaskClosedError: ("task_closed", "task_id"),
    d.SeedNotCommittedError: ("seed_not_committed", "task_id"),
    d.SeedAlreadyCommittedError: ("seed_already_committed", "task_id"),
    d.TargetsAlreadyDrawnError: ("targets_already_drawn", "task_id"),
    d.TargetsNotDrawnError: ("targets_not_drawn", "task_id"),
    d.NotACooperatingDepartmentError: ("not_a_cooperating_department", "department"),
    d.NotADepartmentOfTheTaskError: ("not_a_department_of_the_task", "department"),
    d.AlreadyAnsweredError: ("already_answered", "department"),
    d.InspectorsAlreadyDrawnError: ("inspectors_already_drawn", "department"),
    d.InspectorsNotDrawnError: ("inspectors_not_drawn", "task_id"),
    d.ConfirmationPendingError: ("confirmation_pending", "task_id"),
    d.GroupsAlreadyMatchedError: ("groups_already_matched", "task_id"),
    d.GroupsNotMatchedError: ("groups_not_matched", "task_id"),
    d.TargetNotMatchedError: ("target_not_matched", "target"),
    d.NoticeNotServedError: ("notice_not_served", "target"),
    d.NotVisitedError: ("not_visited", "target"),
    d.AlreadyVisitedError: ("already_visited", "target"),
    d.NotOwnItemError: ("not_own_item", "findings"),
    d.ResultAlreadyRecordedError: ("result_already_recorded", "target"),
    d.ResultNotRecordedError: ("result_not_recorded", "target"),
    d.ResultsMissingError: ("results_missing", "task_id"),
    d.AlreadyPublishedError: ("already_published", "task_id"),
    d.NotPublishedError: ("not_published", "task_id"),
    d.UnknownFollowUpError: ("unknown_follow_up", "number"),
    d.FollowUpNotOpenError: ("follow_up_not_open", "number"),
    d.NotOwnFollowUpError: ("not_own_follow_up", "number"),
    d.FollowUpsOpenError: ("follow_ups_open", "task_id"),
    joint.AlreadyMergedError: ("already_merged", "target"),
    joint.WindowsDoNotOverlapError: ("windows_do_not_overlap", "tasks"),
    joint.NotDrawnHereError: ("target_not_drawn", "target"),
    joint.SameTaskOwnerError: ("same_task_owner", "tasks"),
    joint.NotMergeableError: ("not_mergeable", "tasks"),
    d.RuleBrokenError: ("rule_broken", "task_id"),
}

# Errors whose message starts with the field it names ("credit_code: …"): status, code, field.
NAMED: dict[type[Exception], tuple[int, str, str | None]] = {
    d.InvalidCreditCodeError: (422, "invalid_credit_code", None),
    d.InvalidValueError: (422, "invalid_value", None),
    d.CommitmentMismatchError: (422, "commitment_mismatch", "secret"),
    d.PopulationChangedError: (409, "population_changed", "population"),
    d.NotEnoughInspectorsError: (409, "not_enough_inspectors", "department"),
    d.UnmatchableTargetError: (409, "unmatchable_target", "target"),
    d.DuplicateTargetError: (409, "duplicate_target", "credit_code"),
    d.DuplicateInspectorError: (409, "duplicate_inspector", "inspector_id"),
    d.UnknownTargetError: (422, "unknown_target", "credit_code"),
    d.UnknownInspectorError: (404, "unknown_inspector", "inspector_id"),
    DuplicateItemError: (409, "duplicate_item", "code"),
    UnknownItemError: (404, "unknown_item", "code"),
    # Not the client's fault, but no fault to hide either: the record stands, and the message
    # names both hashes so the office can have the makers looked at.
    DocumentMismatchError: (409, "document_mismatch", "document"),
    # The server lacks the CJK font: the operator's to fix; no PDF with boxes is made meanwhile.
    FontMissingError: (503, "font_missing", "SSJ_FONT_DIR"),
    d.DrawError: (409, "draw_refused", None),
    d.DirectoryError: (409, "directory_refused", None),
    d.CalendarYearKnownError: (409, "calendar_year_known", "year"),
    d.CalendarUnknownError: (409, "calendar_unknown", "at"),
    s.AheadOfClockError: (422, "ahead_of_clock", "at"),
    s.ForbiddenError: (403, "forbidden", "actor"),
    s.AlreadyExistsError: (409, "already_exists", None),
    UserExistsError: (409, "user_exists", "username"),
    SignInFailedError: (401, "sign_in_failed", "password"),
    InvalidKeyError: (401, "invalid_key", "api_key"),
    AccountDisabledError: (403, "account_disabled", "username"),
    AccountLockedError: (429, "account_locked", "username"),
    IdempotencyKeyInUseError: (409, "idempotency_key_in_use", "Idempotency-Key"),
    IdempotencyKeyReusedError: (422, "idempotency_key_reused", "Idempotency-Key"),
    DrawSecretMissingError: (422, "draw_secret_missing", "secret"),
    s.ConcurrentWriteError: (503, "concurrent_write", None),
    GroupCommitClosedError: (503, "shutting_down", None),
}


def problem(error: BaseException) -> tuple[int, dict[str, Any]]:
    """The one mapping, as pages use it: the status, and `{"code", "field", "message"}`."""
    described = describe(error)
    return described.status, described.body()["error"]


def describe(error: BaseException, *, now: datetime | None = None) -> Problem:
    """The answer to a refusal; `now` gives a locked account its Retry-After."""
    if isinstance(error, HttpProblem):
        return error.problem
    if isinstance(error, STORE_DOWN):
        retry = {"Retry-After": str(STORE_RETRY_SECONDS)}
        return Problem(503, "store_unavailable", None, STORE_UNAVAILABLE, retry)
    if isinstance(error, d.RuleBrokenError):
        code, named = _first(RULES, error)
        return Problem(409, code, named, str(error))
    if isinstance(error, s.NotFoundError):
        named = _field_of(error.what)
        thing = _ASCII_THINGS.get(error.what, "记录") if error.what.isascii() else error.what
        return Problem(404, "not_found", named, f"没有该{thing}：{error.key}")
    if isinstance(error, CalendarDataError):
        message = str(error).removeprefix(f"工作日历数据文件 {error.path}: {error.field}: ")
        return Problem(422, "calendar_data_invalid", error.field, message)
    if isinstance(error, d.DomainError | s.ServiceError):
        status, code, named = _first(NAMED, error, (409, "refused", None))
        named = getattr(error, "field", None) or named or _prefix(error)
        if isinstance(error, s.AlreadyExistsError) and named is None:
            named = _field_of(str(error).partition(": ")[0])
        headers: dict[str, str] = {}
        if status == 503:
            headers["Retry-After"] = str(RETRY_SECONDS)
        if isinstance(error, AccountLockedError) and now is not None:
            headers["Retry-After"] = str(max(1, math.ceil((error.until - now).total_seconds())))
        return Problem(status, code, named, _unprefixed(error, named), headers)
    return Problem(500, "internal", None, "服务器内部错误")


def _first(table: Mapping[type, Any], error: BaseException, default: Any = None) -> Any:
    """The entry of the error's own class, else of its nearest ancestor in the table."""
    for kind in type(error).__mro__:
        if kind in table:
            return table[kind]
    return default


def _prefix(error: BaseException) -> str | None:
    """The field a message starts with ("credit_code: …"), as the domain writes them."""
    head, sep, _ = str(error).partition(": ")
    return head if sep and head.isascii() and " " not in head else None


def _field_of(what: str) -> str:
    """NotFoundError's `what` is a field name (`username`) or a thing's Chinese name (抽查任务)."""
    if what.isascii():
        return what
    if what.endswith("执法检查人员名录库"):
        return "department"
    return _THINGS.get(what, "id")


_ASCII_THINGS = {"username": "用户", "key_id": "API 密钥"}
_THINGS = {
    "抽查任务": "task_id",
    "抽查工作计划": "plan_id",
    "名录库": "directory_id",
    "工作日历": "year",
    "节假日安排": "year",
}


def _unprefixed(error: BaseException, named: str | None) -> str:
    """The message without the field it starts with, which the answer names on its own."""
    text = str(error)
    if named and text.startswith(f"{named}: "):
        return text[len(named) + 2 :]
    return text


# ---------------------------------------------------------------------------- request validation
_REASONS: dict[str, str] = {
    "missing": "必须填写",
    "extra_forbidden": "不接受该字段",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "dict_type": "应为 JSON 对象",
    "list_type": "应为 JSON 数组",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "json_invalid": "不是有效的 JSON",
    "json_type": "应为 JSON",
    "uuid_type": "应为 UUID",
    "uuid_parsing": "应为 UUID，例如 123e4567-e89b-12d3-a456-426614174000",
    "datetime_type": "应为 ISO 8601 时间，例如 2023-11-01T09:00:00+08:00",
    "datetime_parsing": "应为 ISO 8601 时间，例如 2023-11-01T09:00:00+08:00",
    "datetime_from_date_parsing": "应为 ISO 8601 时间，例如 2023-11-01T09:00:00+08:00",
    "timezone_aware": "应为带时区的时间，例如 2023-11-01T09:00:00+08:00",
    "date_type": "应为日期 YYYY-MM-DD",
    "date_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_inexact": "应为日期 YYYY-MM-DD（不含时刻）",
    "string_too_short": "字数不足（至少 {min_length} 个字符）",
    "string_too_long": "过长（至多 {max_length} 个字符）",
    "too_short": "条目不足（至少 {min_length} 项）",
    "too_long": "条目过多（至多 {max_length} 项）",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
    "string_pattern_mismatch": "格式不符合要求",
    "value_error": "取值不符合要求",
}
_LOCATIONS = ("body", "query", "path", "header", "cookie")


def validation_problem(errors: Sequence[Mapping[str, Any]]) -> Problem:
    """FastAPI's own check of a request, in the same shape: the first field at fault, why, and
    how many others there are."""
    if not errors:
        return Problem(422, "invalid_request", None, "请求不符合要求")
    first = errors[0]
    loc = [str(part) for part in first.get("loc", ())]
    where = loc[0] if loc and loc[0] in _LOCATIONS else None
    if where is not None:
        loc = loc[1:]
    named = ".".join(loc) or where  # the whole body, when it is the body itself at fault
    message = _reason(first)
    if len(errors) > 1:
        message += f"（另有 {len(errors) - 1} 处不符合要求）"
    return Problem(422, "invalid_request", named, message)


def _reason(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind == "ssj_cell" or (kind == "value_error" and _chinese(str(context.get("error", "")))):
        return str(error.get("msg", "")).removeprefix("Value error, ")
    template = _REASONS.get(kind)
    if template is None:
        return "取值不符合要求"
    try:
        return template.format(**{k: str(v) for k, v in context.items()})
    except (KeyError, IndexError):
        return template.split("（")[0]


def _chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)
