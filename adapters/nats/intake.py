"""The intake: what departments send on `ssj.cmd.<dept>.<command>`, applied once and answered.

The intake takes the commands from the work queue (SSJ_CMD, durable consumer `intake`) in batches.
For each message, the subject says who sends it (NATS lets a department publish only under its
own name, DESIGN.md) and the document says what to do. Each command gets a receipt on
`ssj.dept.<dept>.receipts`: done (with its answer) or refused (with the error that names the
field); a message nobody can use goes to the dead letters (`ssj.dead.cmd.…`, SSJ_DEAD) as well.

Once, whatever happens:

1. A command id with a receipt in `ssj_receipts` is answered with that receipt again, marked
   duplicate, when the command says the same as the one answered (the receipt's `digest`,
   messages.command_digest); when it says something else (another task, target, category, an
   `at` given or left out, …) it is refused, naming `command_id`. Nothing is applied either way.
   An id in `ssj_commands` without a receipt (the intake stopped after the command was stored)
   is answered done, duplicate: with no digest, another command reusing that id cannot be told
   apart, and neither can one that meets a receipt stored before digests were kept.
2. Every other command is applied with its id (`command_id`): the store records the id in the
   same transaction as the events and refuses a second one (CommandAlreadyAppliedError), so two
   intakes racing on the same command apply it once. The same id twice in one batch: the first
   sent is applied, the other answered as in 1.
3. The receipts are stored, then published, and the server's acks awaited; only then is the
   command message acked. A crash before the ack redelivers the message, which step 1 answers;
   the receipt's `Nats-Msg-Id` is the same on redelivery, so the server keeps it once.

A batch's commands are applied at once, one thread each, so that the group committer
(services/group_commit.py) writes them in a few transactions. Only the commands that one
department sent on the same task and the same target (or on the task itself) are applied one after
another, in the order they were sent: a correction after its result, inspectors after a confirmation.

A failure that is nobody's fault (the database away, a write conflict that kept losing) leaves the
command unanswered: it is delivered again after a pause, and a failure on its last delivery
(INTAKE_MAX_DELIVER, streams.py) sends it to the dead letters with its reason, and tells the
department that it is not known to be done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from uuid import UUID

import asyncpg
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import PubAck

from adapters import metrics
from adapters.bootstrap import Service
from adapters.nats.commands import apply_command
from adapters.nats.deliveries import Delivery, Known, echo, give_up, outgoing, read, repeat
from adapters.nats.messages import Command, Receipt, command_digest
from adapters.nats.streams import CMD, INTAKE, INTAKE_MAX_DELIVER
from adapters.postgres.read_model_schema import qualified
from adapters.postgres.read_models import open_pool
from domain.errors import DomainError
from services.errors import CommandAlreadyAppliedError, ConcurrentWriteError, ServiceError
from services.group_commit import GroupCommitClosedError

log = logging.getLogger(__name__)

BATCH = 200
THREADS = 64
"""Commands applied at once: what the group committer can put in one transaction per batch."""
FETCH_TIMEOUT = 1.0
"""Seconds a fetch waits for the first command; also how long `run` takes to notice `stop`."""
RETRY_DELAY = 5.0
"""Seconds before a command that failed for want of the database is delivered again."""
ACK_TIMEOUT = 10.0
"""Seconds to wait for the server's acks of a batch's receipts and dead letters."""
PAUSE = 1.0
"""Seconds between attempts when the bus itself fails."""

TRY_AGAIN_LATER: tuple[type[Exception], ...] = (ConcurrentWriteError, GroupCommitClosedError)
"""Service errors that say nothing about the command: it is delivered again, not refused."""

Job = tuple[Delivery, Command]


class Intake:
    """`async with Intake(url, js, service) as intake: await intake.run(stop)`."""

    def __init__(
        self,
        database_url: str,
        js: JetStreamContext,
        service: Service,
        *,
        clock: Callable[[], datetime] | None = None,
        schema: str = "public",
        batch: int = BATCH,
        threads: int = THREADS,
        retry_delay: float = RETRY_DELAY,
    ) -> None:
        self.database_url = database_url
        self.js = js
        self.service = service
        self.clock = clock or service.clock.now
        """When a command happened, if it does not say: the moment its batch was taken."""
        self.receipts = qualified(schema, "ssj_receipts")
        self.commands = qualified(schema, "ssj_commands")
        self.batch = batch
        self.retry_delay = retry_delay
        service.tasks.commit_in_groups()
        self._threads = ThreadPoolExecutor(threads, thread_name_prefix="intake")
        self._pool: asyncpg.Pool | None = None
        self._subscription: JetStreamContext.PullSubscription | None = None

    # ------------------------------------------------------------------ life
    async def open(self) -> None:
        self._pool = await open_pool(self.database_url, min_size=1, max_size=2)
        self._subscription = await self.js.pull_subscribe_bind(INTAKE, CMD)

    async def close(self) -> None:
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
            self._subscription = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        await asyncio.to_thread(self._threads.shutdown)

    async def __aenter__(self) -> Intake:
        await self.open()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("Intake.open() first")
        return self._pool

    # ------------------------------------------------------------------ the loop
    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.intake_once(FETCH_TIMEOUT)
            except Exception as error:  # the bus is away: unacked messages come back by themselves
                log.warning("intake: %s; retrying", error)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), PAUSE)

    async def intake_once(self, timeout: float) -> int:
        """Take what the queue holds (waiting up to `timeout` for the first message) and handle
        it all; returns how many messages were handled."""
        if self._subscription is None:
            raise RuntimeError("Intake.open() first")
        try:
            messages = await self._subscription.fetch(self.batch, timeout=timeout)
        except TimeoutError:  # nats-py raises its own or, at times, asyncio's
            return 0
        await self.handle(messages)
        return len(messages)

    async def handle(self, messages: Sequence[Msg]) -> None:
        deliveries = [read(message) for message in messages]
        jobs = [(d, d.command) for d in deliveries if d.command is not None]
        try:
            await self.answer(jobs)
        except Exception as error:  # the database is away: every command waits for it
            log.warning("intake: %s; %d commands delivered again later", error, len(jobs))
            for delivery, _ in jobs:
                delivery.fail(error)
        await self.settle(deliveries)

    # ------------------------------------------------------------------ answering
    async def answer(self, jobs: Sequence[Job]) -> None:
        """Answer repeats from the store, apply the rest, each command id once."""
        known = await self.known(command.command_id for _, command in jobs)
        first: dict[UUID, Job] = {}
        echoes: list[tuple[Job, Job]] = []
        to_apply: list[Job] = []
        for delivery, command in jobs:
            if command.command_id in known:
                repeat(delivery, command, known[command.command_id])
            elif command.command_id in first:
                echoes.append(((delivery, command), first[command.command_id]))
            else:
                first[command.command_id] = (delivery, command)
                to_apply.append((delivery, command))
        await self.apply(to_apply)
        await self.recheck_races(to_apply)
        for (delivery, command), (original, sent_first) in echoes:
            echo(delivery, command, original, sent_first)

    async def known(self, command_ids: Iterable[UUID]) -> dict[UUID, Known]:
        ids = list(set(command_ids))
        if not ids:
            return {}
        rows = await self.pool.fetch(
            f"SELECT id::text, r.receipt::text, c.command_id IS NOT NULL, r.digest "
            f"FROM unnest($1::uuid[]) AS id "
            f"LEFT JOIN {self.receipts} AS r ON r.command_id = id "
            f"LEFT JOIN {self.commands} AS c ON c.command_id = id "
            "WHERE r.command_id IS NOT NULL OR c.command_id IS NOT NULL",
            ids,
        )
        return {
            UUID(row[0]): Known(
                None if row[1] is None else Receipt.model_validate_json(row[1]), row[2], row[3]
            )
            for row in rows
        }

    async def apply(self, jobs: Sequence[Job]) -> None:
        chains: dict[tuple[UUID, str, str | None], list[Job]] = {}
        for job in jobs:
            command = job[1]
            key = (command.task_id, command.department, getattr(command, "target", None))
            chains.setdefault(key, []).append(job)
        now = self.clock()  # one moment for the batch: a task's moments never go backwards
        committer = self.service.tasks.committer
        if committer is not None:
            committer.expect(len(chains))  # the chains' first commands make one group
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(
                loop.run_in_executor(self._threads, self.apply_in_order, chain, now)
                for chain in chains.values()
            )
        )

    def apply_in_order(self, jobs: Sequence[Job], now: datetime) -> None:
        """In a worker thread: each command with its id, which the store records with it."""
        for delivery, command in jobs:
            try:
                with metrics.COMMAND_SECONDS.labels(command.command, "bus").time():
                    answer = apply_command(self.service.tasks, command, command.at or now)
            except CommandAlreadyAppliedError:
                delivery.answer(command, "done", duplicate=True)
            except TRY_AGAIN_LATER as error:
                delivery.fail(error)
            except (DomainError, ServiceError) as error:
                delivery.refuse(command, error)
                delivery.judged = True
            except Exception as error:
                log.warning("intake: %s %s failed: %r", command.command, command.command_id, error)
                delivery.fail(error)
            else:
                delivery.answer(command, "done", answer=answer)
                delivery.judged = True

    async def recheck_races(self, jobs: Sequence[Job]) -> None:
        """A command whose id another intake applied a moment before (a repeat sent while the
        first was under way) met that id in the store, or was refused by the rules because the
        first was applied: it is a repeat, answered as one (`repeat`) from what is stored now."""
        raced = {
            command.command_id: (delivery, command)
            for delivery, command in jobs
            if delivery.receipt is not None
            and (
                (delivery.judged and delivery.receipt.status == "refused")
                or (not delivery.judged and delivery.receipt.duplicate)
            )
        }
        if not raced:
            return
        for command_id, known in (await self.known(raced)).items():
            if known.applied:
                delivery, command = raced[command_id]
                repeat(delivery, command, known)
                delivery.judged = False

    # ------------------------------------------------------------------ settling
    async def settle(self, deliveries: Sequence[Delivery]) -> None:
        """Store the new receipts, publish every receipt and dead letter, then ack each message
        whose answers the server has taken; the others are delivered again."""
        judged = [d for d in deliveries if d.judged]
        try:
            await self.store(judged)
        except Exception as error:
            log.warning("intake: receipts not stored: %s; delivered again later", error)
            for delivery in judged:
                delivery.fail(error)
        for delivery in deliveries:
            if delivery.failure is not None and delivery.deliveries >= INTAKE_MAX_DELIVER:
                give_up(delivery, delivery.failure)
        taken = await self.publish(deliveries)
        for delivery, ok in zip(deliveries, taken, strict=True):
            try:
                if not ok or delivery.failure is not None:
                    await delivery.message.nak(delay=self.retry_delay)
                elif delivery.dead is not None:
                    await delivery.message.term()
                else:
                    await delivery.message.ack()
            except Exception as error:  # it comes back after the ack wait, and is answered then
                log.warning("intake: message %d not acked: %s", delivery.sequence, error)

    async def store(self, deliveries: Sequence[Delivery]) -> None:
        """Each receipt with the digest of the command it answers, to tell repeats apart."""
        answered = [
            (d.receipt, d.command)
            for d in deliveries
            if d.receipt is not None and d.command is not None
        ]
        if not answered:
            return
        await self.pool.execute(
            f"INSERT INTO {self.receipts} (command_id, receipt, digest) "
            "SELECT id, receipt::jsonb, digest "
            "FROM unnest($1::uuid[], $2::text[], $3::text[]) AS r(id, receipt, digest) "
            "ON CONFLICT (command_id) DO NOTHING",
            [receipt.command_id for receipt, _ in answered],
            [receipt.model_dump_json(by_alias=True) for receipt, _ in answered],
            [command_digest(command) for _, command in answered],
        )

    async def publish(self, deliveries: Sequence[Delivery]) -> list[bool]:
        """Each delivery's dead letter and receipt; for each delivery, whether the server took
        all it sends."""
        sent: list[list[asyncio.Future[PubAck]]] = [[] for _ in deliveries]
        try:
            for of_one, delivery in zip(sent, deliveries, strict=True):
                for subject, message_id, payload in outgoing(delivery):
                    of_one.append(
                        await self.js.publish_async(
                            subject, payload, headers={"Nats-Msg-Id": message_id}
                        )
                    )
            every = [future for of_one in sent for future in of_one]
            if every:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        asyncio.gather(*every, return_exceptions=True), ACK_TIMEOUT
                    )
        except Exception as error:
            log.warning("intake: publishing failed: %s", error)
            return [False] * len(deliveries)
        finally:
            for of_one in sent:
                for future in of_one:
                    future.cancel()  # an ack that never comes must not hold the client's slots
        return [all(_taken(future) for future in of_one) for of_one in sent]


def _taken(future: asyncio.Future[PubAck]) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None
