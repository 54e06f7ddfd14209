"""Group commit on the in-memory store: commands that arrive together share one save, and each
caller still gets its own answer or its own error, as if it had been alone.

A *gate* holds the committer's worker on a first command, so that the commands under test are
all waiting when it is released and are taken together, whatever the threads' timing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any
from uuid import UUID

import pytest

from adapters.bootstrap import Service, bootstrap, load_settings
from domain.errors import NotOwnItemError, NotVisitedError, ResultAlreadyRecordedError
from domain.task import Task
from services.errors import NotFoundError
from services.group_commit import GroupCommitClosedError, GroupCommitter
from tests.services.conftest import EDUCATION, ITEMS, JointInspection, at, department

RESULT_AT = at("2023-11-09", "17:00")


@pytest.fixture
def memory() -> Iterator[Service]:
    service = bootstrap(load_settings(), memory=True)
    yield service
    service.close()


@pytest.fixture
def visited(memory: Service) -> JointInspection:
    """Every matched target visited; no result recorded yet."""
    return JointInspection(memory).matched().visit()


@pytest.fixture
def committer(memory: Service) -> Iterator[GroupCommitter[Task]]:
    with GroupCommitter(memory.tasks, Task, "抽查任务") as committer:
        yield committer


def result(department: str, target: str) -> Callable[[Task], None]:
    findings = {item.code: "符合要求" for item in ITEMS[department]}
    return lambda task: task.record_result(department, target, "未发现问题", findings, RESULT_AT)


def gate(committer: GroupCommitter[Task], task_id: UUID) -> threading.Event:
    """Hold the worker inside a command until the returned event is set."""
    entered, release = threading.Event(), threading.Event()

    def wait(_: Task) -> None:
        entered.set()
        release.wait(10)

    committer.submit(task_id, wait)
    assert entered.wait(10)
    return release


def saves(service: Service, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each save of the tasks application, as the number of events it wrote."""
    seen: list[int] = []
    save = service.tasks.save

    def counting(*objs: Any, **kwargs: Any) -> Any:
        seen.append(len(objs))
        return save(*objs, **kwargs)

    monkeypatch.setattr(service.tasks, "save", counting)
    return seen


def recorded_results(service: Service, task_id: UUID) -> list[tuple[str, str]]:
    return [
        (e.department, e.target)
        for e in service.tasks.events_of(task_id)
        if isinstance(e, Task.ResultRecorded)
    ]


def test_commands_that_arrive_together_are_written_in_one_save(
    memory: Service,
    visited: JointInspection,
    committer: GroupCommitter[Task],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    written = saves(memory, monkeypatch)
    release = gate(committer, visited.task_id)
    pairs = [(d, t) for t in visited.targets for d in ("education", "fire")]
    futures = [committer.submit(visited.task_id, result(d, t)) for d, t in pairs]
    release.set()

    assert [f.result(10) for f in futures] == [None] * len(pairs)
    assert written == [len(pairs)]
    assert recorded_results(memory, visited.task_id) == pairs


def test_a_refused_command_gets_its_own_error_and_the_others_land(
    memory: Service, visited: JointInspection, committer: GroupCommitter[Task]
) -> None:
    first, second = visited.targets[:2]
    release = gate(committer, visited.task_id)
    futures: list[Future[None]] = [
        committer.submit(visited.task_id, result("education", first)),
        committer.submit(visited.task_id, result("education", first)),  # the same result again
        committer.submit(
            visited.task_id,
            lambda t: t.record_result("police", second, "未发现问题", {"XF-1": "符合"}, RESULT_AT),
        ),
        committer.submit(visited.task_id, result("police", second)),
    ]
    release.set()

    assert futures[0].result(10) is None
    with pytest.raises(ResultAlreadyRecordedError):
        futures[1].result(10)
    with pytest.raises(NotOwnItemError):
        futures[2].result(10)
    assert futures[3].result(10) is None
    assert recorded_results(memory, visited.task_id) == [("education", first), ("police", second)]


def test_a_command_that_raises_after_recording_leaves_nothing_behind(
    memory: Service, visited: JointInspection, committer: GroupCommitter[Task]
) -> None:
    """The domain never does this; if a command ever did, its half-done event must not be saved,
    and the other commands on the same task must still land."""
    first, second = visited.targets[:2]

    def records_then_fails(task: Task) -> None:
        result("education", first)(task)
        raise RuntimeError("failed after recording")

    release = gate(committer, visited.task_id)
    before = committer.submit(visited.task_id, result("fire", first))
    broken = committer.submit(visited.task_id, records_then_fails)
    after = committer.submit(visited.task_id, result("fire", second))
    release.set()

    assert before.result(10) is None
    with pytest.raises(RuntimeError, match="after recording"):
        broken.result(10)
    assert after.result(10) is None
    assert recorded_results(memory, visited.task_id) == [("fire", first), ("fire", second)]


def test_a_kept_task_that_another_writer_moved_on_is_judged_on_the_current_state(
    memory: Service, committer: GroupCommitter[Task]
) -> None:
    """The worker keeps the task from its last group; a visit recorded meanwhile by someone else
    must not make the worker refuse a result for want of that visit."""
    joint = JointInspection(memory).matched()
    task_id, target = joint.task_id, joint.targets[0]
    committer.execute(
        task_id,
        lambda t: t.serve_notice("education", target, "letter", "法定代表人", at("2023-11-08")),
    )
    memory.tasks.record_visit(EDUCATION, task_id, target, True, "", at=at("2023-11-09", "10:00"))

    committer.execute(task_id, result("police", target))

    assert recorded_results(memory, task_id) == [("police", target)]


def test_a_kept_task_that_another_writer_moved_on_makes_the_group_retry_one_by_one(
    memory: Service, visited: JointInspection, committer: GroupCommitter[Task]
) -> None:
    first, second = visited.targets[:2]
    committer.execute(visited.task_id, result("education", first))
    memory.tasks.record_result(
        department("fire"), visited.task_id, first, "未发现问题", {"XF-1": "符合要求"}, at=RESULT_AT
    )

    committer.execute(visited.task_id, result("education", second))

    assert committer.throughput.conflicts == 1
    assert recorded_results(memory, visited.task_id) == [
        ("education", first),
        ("fire", first),
        ("education", second),
    ]


def test_commands_from_many_threads_all_land_in_fewer_saves_than_commands(
    memory: Service,
    visited: JointInspection,
    committer: GroupCommitter[Task],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    written = saves(memory, monkeypatch)
    start = threading.Barrier(len(JointInspection.DEPARTMENTS))
    failures: list[BaseException] = []

    def department(name: str) -> None:
        start.wait()
        for target in visited.targets:
            try:
                committer.execute(visited.task_id, result(name, target))
            except BaseException as error:
                failures.append(error)

    threads = [threading.Thread(target=department, args=(d,)) for d in JointInspection.DEPARTMENTS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    expected = len(JointInspection.DEPARTMENTS) * len(visited.targets)
    assert failures == []
    assert sorted(recorded_results(memory, visited.task_id)) == sorted(
        (d, t) for d in JointInspection.DEPARTMENTS for t in visited.targets
    )
    assert sum(written) == expected
    assert len(written) < expected


def test_an_unknown_task_is_not_found(committer: GroupCommitter[Task]) -> None:
    with pytest.raises(NotFoundError):
        committer.execute(UUID(int=7), lambda t: None)


def test_closing_finishes_what_was_submitted_and_refuses_more(
    memory: Service, visited: JointInspection
) -> None:
    committer = GroupCommitter(memory.tasks, Task, "抽查任务")
    futures = [committer.submit(visited.task_id, result("education", t)) for t in visited.targets]
    committer.close()

    assert all(f.done() and f.exception() is None for f in futures)
    with pytest.raises(GroupCommitClosedError):
        committer.submit(visited.task_id, result("fire", visited.targets[0]))


def test_tasks_committing_in_groups_answer_as_before(memory: Service) -> None:
    """The whole joint inspection, every task command through the committer, ends as it does
    without it, refusals included."""
    memory.tasks.commit_in_groups()
    joint = JointInspection(memory).matched()
    with pytest.raises(NotVisitedError):
        memory.tasks.record_result(
            department("fire"),
            joint.task_id,
            joint.targets[0],
            "未发现问题",
            {"XF-1": "符合要求"},
            at=RESULT_AT,
        )
    joint.visit().record_results().late_result_and_correction().publish()

    without = bootstrap(load_settings(), memory=True)
    JointInspection(without).published()
    assert [type(e).__name__ for e in memory.tasks.events_of(joint.task_id)] == [
        type(e).__name__ for e in without.tasks.events_of(joint.task_id)
    ]
    without.close()


def test_commands_announced_together_wait_for_each_other_and_share_one_save(
    memory: Service, visited: JointInspection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch from the bus is handed to as many threads; announced, it is one group, not the
    first command alone and the rest after it."""
    written = saves(memory, monkeypatch)
    pairs = [(d, t) for t in visited.targets[:3] for d in ("education", "fire")]
    with GroupCommitter(memory.tasks, Task, "抽查任务", linger=5.0) as committer:
        committer.expect(len(pairs))
        threads = [
            threading.Thread(
                target=committer.execute, args=(visited.task_id, result(department, target))
            )
            for department, target in pairs
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)

    assert written == [len(pairs)]
    assert sorted(recorded_results(memory, visited.task_id)) == sorted(pairs)
