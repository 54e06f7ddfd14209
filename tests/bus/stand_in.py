"""A stand-in for the service's intake, so that the department's side is tested alone: it takes
each command from SSJ_CMD, as the intake does, and answers with the receipt a test decides. The
real intake is tested in test_intake.py."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from nats.aio.client import Client
from nats.aio.msg import Msg

from adapters.nats.messages import (
    Command,
    Receipt,
    RefusalDocument,
    parse_command,
    receipts_subject,
)
from adapters.nats.streams import CMD, INTAKE

Decide = Callable[[Command], Receipt]


def done(answer: Any = None) -> Decide:
    def decide(command: Command) -> Receipt:
        return Receipt(
            command_id=command.command_id,
            department=command.department,
            command=command.command,
            status="done",
            answer=answer,
        )

    return decide


def refused(message: str) -> Decide:
    def decide(command: Command) -> Receipt:
        return Receipt(
            command_id=command.command_id,
            department=command.department,
            command=command.command,
            status="refused",
            refusal=RefusalDocument(error="ConfirmationClosedError", message=message),
        )

    return decide


@dataclass
class StandIn:
    decide: Decide
    decoy: bool = False
    """Answer another command first, as a busy service does on the same receipts subject."""
    received: list[Msg] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, nc: Client) -> None:
        js = nc.jetstream()
        commands = await js.pull_subscribe_bind(INTAKE, stream=CMD)
        while not self.stop.is_set():
            try:
                messages = await commands.fetch(10, timeout=0.2)
            except TimeoutError:  # a fetch raises asyncio's, not only nats-py's
                continue
            for message in messages:
                command = parse_command(message.data)
                self.received.append(message)
                subject = receipts_subject(command.department)
                if self.decoy:
                    other = command.model_copy(update={"command_id": uuid4()})
                    await js.publish(subject, refused("另一条命令的回执")(other).to_bytes())
                await js.publish(subject, self.decide(command).to_bytes())
                await message.ack()


@contextlib.asynccontextmanager
async def answering(nc: Client, decide: Decide, *, decoy: bool = False) -> AsyncIterator[StandIn]:
    """Stopped by asking, not by cancelling: nats-py 2.16 swallows a cancellation that arrives
    during a publish, and the task would run on."""
    stand_in = StandIn(decide, decoy)
    task = asyncio.create_task(stand_in.run(nc))
    try:
        yield stand_in
    finally:
        stand_in.stop.set()
        await task
