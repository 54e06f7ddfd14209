"""An Idempotency-Key makes a repeated HTTP command apply once and get the first answer again."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from domain.errors import InvalidValueError
from services.idempotency import (
    STALE,
    Idempotency,
    IdempotencyKeyInUseError,
    Remembered,
    command_id_of,
)
from tests.accounts.conftest import NOW


def test_a_uuid_key_is_the_command_id_itself_so_bus_and_http_apply_it_once() -> None:
    key = uuid4()
    assert command_id_of("fire.staff", str(key)) == key
    assert command_id_of("key:0a1b2c3d", str(key)) == key


def test_another_key_gives_each_principal_its_own_stable_command_id() -> None:
    one = command_id_of("fire.staff", "order-42")
    assert one == command_id_of("fire.staff", "order-42")
    assert isinstance(one, UUID)
    assert one != command_id_of("police.staff", "order-42")
    assert one != command_id_of("fire.staff", "order-43")


@pytest.mark.parametrize("key", ["", "x" * 256, "含中文", "two words"])
def test_a_key_headers_cannot_carry_is_refused(key: str) -> None:
    with pytest.raises(InvalidValueError) as refused:
        command_id_of("fire.staff", key)
    assert refused.value.field == "Idempotency-Key"


def test_the_first_request_goes_on_and_a_repeat_gets_its_answer(
    idempotency: Idempotency,
) -> None:
    assert idempotency.begin("fire.staff", "k1", "digest-a", at=NOW) is None
    idempotency.finish("fire.staff", "k1", 201, '{"task_id": "t"}')
    again = idempotency.begin("fire.staff", "k1", "digest-a", at=NOW + timedelta(hours=1))
    assert again == Remembered(201, '{"task_id": "t"}', "digest-a")


def test_a_repeat_with_another_request_shows_the_first_digest_to_compare(
    idempotency: Idempotency,
) -> None:
    idempotency.begin("fire.staff", "k1", "digest-a", at=NOW)
    idempotency.finish("fire.staff", "k1", 201, "{}")
    again = idempotency.begin("fire.staff", "k1", "digest-b", at=NOW)
    assert again is not None and again.request_digest == "digest-a"


def test_a_repeat_while_the_first_is_running_is_told_to_wait(idempotency: Idempotency) -> None:
    idempotency.begin("fire.staff", "k1", "digest-a", at=NOW)
    with pytest.raises(IdempotencyKeyInUseError) as refused:
        idempotency.begin("fire.staff", "k1", "digest-a", at=NOW + timedelta(seconds=1))
    assert (refused.value.field, refused.value.code) == (
        "Idempotency-Key",
        "idempotency_key_in_use",
    )


def test_a_request_that_failed_on_our_side_may_be_tried_again(idempotency: Idempotency) -> None:
    idempotency.begin("fire.staff", "k1", "digest-a", at=NOW)
    idempotency.abandon("fire.staff", "k1")
    assert idempotency.begin("fire.staff", "k1", "digest-a", at=NOW) is None


def test_an_answered_request_is_never_abandoned(idempotency: Idempotency) -> None:
    idempotency.begin("fire.staff", "k1", "digest-a", at=NOW)
    idempotency.finish("fire.staff", "k1", 200, "{}")
    idempotency.abandon("fire.staff", "k1")
    assert idempotency.begin("fire.staff", "k1", "digest-a", at=NOW) == Remembered(
        200, "{}", "digest-a"
    )


def test_a_request_whose_process_died_frees_its_key_after_a_while(
    idempotency: Idempotency,
) -> None:
    idempotency.begin("fire.staff", "k1", "digest-a", at=NOW)
    assert idempotency.begin("fire.staff", "k1", "digest-a", at=NOW + STALE) is None
    with pytest.raises(IdempotencyKeyInUseError):
        idempotency.begin("fire.staff", "k1", "digest-a", at=NOW + STALE)


def test_keys_of_different_principals_are_apart(idempotency: Idempotency) -> None:
    idempotency.begin("fire.staff", "k1", "digest-a", at=NOW)
    assert idempotency.begin("police.staff", "k1", "digest-a", at=NOW) is None
