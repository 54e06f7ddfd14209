"""Queries: what each actor may read of the read models, a page at a time.

Every front asks here, never the read models directly, so that who sees what is decided once
(services/permissions.py): a department sees its own tasks and rows, the office and the auditor
see all, the public sees the register. Each answer costs what the page holds, not the log.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain.errors import InvalidValueError
from services.actors import Actor, Role
from services.errors import NotFoundError
from services.ledger import LedgerRow
from services.permissions import Action, Parties, allows, departments_seen, require
from services.read_models import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Fault,
    Page,
    PopulationMember,
    ReadModels,
)
from services.register import PublishedDraw, RegisterEntry
from services.statistics import MonthlyWorkload
from services.stored import HistoryEntry
from services.task_views import Escalation, InboxItem, TaskView, inbox_item

_HEX = set("0123456789abcdef-")
NAME_FRAGMENT = 50
"""The longest name fragment searched for: longer than any target's name needs."""


def view_parties(view: TaskView) -> Parties:
    return Parties(
        lead=view.lead,
        cooperating=view.cooperating,
        received=tuple(d for d in view.visible_to() if d != view.lead),
        participating=view.participating,
    )


class Queries:
    def __init__(self, read_models: ReadModels) -> None:
        self.read_models = read_models

    # ------------------------------------------------------------------ tasks
    def tasks(
        self, actor: Actor, limit: int = DEFAULT_LIMIT, after: str | None = None
    ) -> Page[TaskView]:
        """Every task the actor may see, in plan order."""
        return self.read_models.task_views(departments_seen(actor, Action.LIST_TASKS), limit, after)

    def task(self, actor: Actor, task_id: UUID) -> TaskView:
        view = self.read_models.task_view(task_id)
        if view is None:
            raise NotFoundError("抽查任务", task_id)
        require(actor, Action.READ_TASK, view_parties(view))
        return view

    def history(self, actor: Actor, task_id: UUID) -> list[HistoryEntry]:
        """The task's events as stored, for its page: those who may read the task may read them."""
        self.task(actor, task_id)
        return self.read_models.history(task_id)

    def resolve(self, reference: str) -> UUID:
        """A task by its id or a unique prefix of it, as staff copy it from `ssj task list`.
        Only the id: what may be read or done on the task, the policy decides next."""
        prefix = reference.strip().lower()
        if not prefix or not set(prefix) <= _HEX:
            raise InvalidValueError("task", "任务编号（UUID 或其唯一前缀）", reference)
        found = self.read_models.task_ids(prefix, 2)
        if len(found) != 1:
            why = "没有这个任务" if not found else "前缀不唯一，请多写几位"
            raise NotFoundError("抽查任务", f"{reference}（{why}）")
        return found[0]

    def role_in(self, department: str, task_id: UUID) -> Role:
        """How a department takes part in a task, for fronts that know only the department; as
        `Tasks.role_in` answers from the store. The policy still decides what the role may read."""
        view = self.read_models.task_view(task_id)
        return Role.LEAD if view is not None and view.lead == department else Role.COOPERATING

    def inbox(
        self,
        actor: Actor,
        department: str,
        limit: int = DEFAULT_LIMIT,
        after: str | None = None,
    ) -> Page[InboxItem]:
        """The department's open tasks, with what it still owes on each."""
        require(actor, Action.READ_INBOX, Parties.owned_by(department))
        views = self.read_models.inbox(department, limit, after)
        return Page(tuple(inbox_item(v, department) for v in views.items), views.next)

    def escalations(
        self, actor: Actor, limit: int = DEFAULT_LIMIT, after: str | None = None
    ) -> Page[Escalation]:
        require(actor, Action.READ_ESCALATIONS)
        return self.read_models.escalations(limit, after)

    def faults(
        self, actor: Actor, limit: int = DEFAULT_LIMIT, after: str | None = None
    ) -> Page[Fault]:
        """What the service's processes could not do, task by task: the office follows it up."""
        require(actor, Action.READ_ESCALATIONS)
        return self.read_models.faults(limit, after)

    def task_faults(self, actor: Actor, task_id: UUID) -> tuple[Fault, ...]:
        """For the task's page: what the processes could not do on it, shown to those who
        follow faults up (the office, auditors); a department's page shows what it waits for."""
        if not allows(actor, Action.READ_ESCALATIONS):
            return ()
        return self.read_models.faults(MAX_LIMIT, None, task_id).items

    def awaiting(self, actor: Actor, year: int) -> list[UUID]:
        """The tasks whose deadlines wait for a year's calendar: the office loads that year."""
        require(actor, Action.READ_ESCALATIONS)
        return self.read_models.awaiting(year)

    # ------------------------------------------------------------------ the public register
    def register(
        self,
        actor: Actor,
        credit_code: str | None = None,
        limit: int = DEFAULT_LIMIT,
        after: str | None = None,
        *,
        name: str | None = None,
        task_id: UUID | None = None,
    ) -> Page[RegisterEntry]:
        """Published results in publication order: those of one target (its credit code, in
        any case), those whose target's name holds a fragment (Latin letters in any case), the
        公示 of one task, or every one of them at once; blank criteria are no criteria."""
        require(actor, Action.READ_REGISTER)
        code = credit_code.strip().upper() if credit_code else ""
        fragment = name.strip() if name else ""
        if len(fragment) > NAME_FRAGMENT:
            raise InvalidValueError("name", f"不超过 {NAME_FRAGMENT} 个字的名称片段", name)
        return self.read_models.register(
            code or None, limit, after, name=fragment or None, task_id=task_id
        )

    def draws(
        self, actor: Actor, limit: int = DEFAULT_LIMIT, after: str | None = None
    ) -> Page[PublishedDraw]:
        require(actor, Action.READ_REGISTER)
        return self.read_models.draws(limit, after)

    def draw(self, actor: Actor, task_id: UUID) -> PublishedDraw:
        """A task's draw of targets, public from the moment it is made (DRAW-SPEC.md)."""
        require(actor, Action.READ_REGISTER)
        found = self.read_models.draw(task_id)
        if found is None:
            raise NotFoundError("抽查对象抽取结果", task_id)
        return found

    def draw_population(
        self,
        actor: Actor,
        task_id: UUID,
        limit: int = DEFAULT_LIMIT,
        after: str | None = None,
    ) -> Page[PopulationMember]:
        """The population the task's draw was made from, by credit code: each target's id and
        risk grade, at the directory position the draw committed to."""
        self.draw(actor, task_id)
        return self.read_models.draw_population(task_id, limit, after)

    def draw_inputs(self, actor: Actor, task_id: UUID) -> dict[str, Any]:
        """Everything a re-run of the task's draw takes, as draw.js takes it (plain JSON values):
        the draw's record with its population as [[credit code, grade], …] in id order."""
        published = self.draw(actor, task_id)
        members: list[list[str]] = []
        after: str | None = None
        while True:
            page = self.read_models.draw_population(task_id, MAX_LIMIT, after)
            members += [[m.credit_code, m.grade] for m in page.items]
            if page.next is None:
                break
            after = page.next
        return {
            "task_id": str(published.task_id),
            "task_name": published.task_name,
            "rule": published.rule,
            "directory_position": published.directory_position,
            "population_digest": published.population_digest,
            "strata": {g: dict(s) for g, s in published.strata.items()},
            "commitment": published.commitment,
            "secret": published.secret,
            "beacon": published.beacon,
            "seed": published.seed,
            "drawn": {g: list(ids) for g, ids in published.drawn.items()},
            "population": members,
            "excluded": [dict(e) for e in published.excluded],
        }

    # ------------------------------------------------------------------ ledger and statistics
    def ledger(
        self, actor: Actor, limit: int = DEFAULT_LIMIT, after: str | None = None
    ) -> Page[LedgerRow]:
        return self.read_models.ledger(departments_seen(actor, Action.READ_LEDGER), limit, after)

    def statistics(self, actor: Actor, year: int | None = None) -> list[MonthlyWorkload]:
        return self.read_models.statistics(year, departments_seen(actor, Action.READ_STATISTICS))

    def due(self, actor: Actor, day: date) -> list[UUID]:
        require(actor, Action.CHECK_DEADLINES)
        return self.read_models.due(day)
