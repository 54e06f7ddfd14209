"""文书: a document issued from the log (告知书, 一企一表, 台账, 报表), recorded with its SHA-256.

A document is made from events alone: what it was made from (`inputs`, each aggregate read and
the version it was read at) is recorded with the hash of its bytes, so an auditor rebuilds it
from those versions and compares. The short code printed on it (and in its QR code) is derived
from what it was made of, never from its own bytes, which would be circular: the same inputs
give the same code, and one document, one record (`IssuedDocument.id_for(code)`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidValueError
from domain.values import moment

CODE_LENGTH = 10
CODE_PATTERN = re.compile(r"^[A-Z2-7]{10}$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
FORMATS = ("pdf", "docx", "xlsx")


@dataclass(frozen=True, order=True)
class Input:
    """One aggregate a document was made from, as of a version of it."""

    aggregate: str
    """The aggregate's id (a UUID, as text)."""
    what: str
    """What it is, as staff read it (抽查任务, 公安局 执法检查人员名录库…)."""
    version: int

    def as_record(self) -> dict[str, Any]:
        return {"aggregate": self.aggregate, "what": self.what, "version": self.version}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Input:
        return cls(str(record["aggregate"]), str(record["what"]), int(record["version"]))


def canonical(value: Any) -> str:
    """The one JSON text of a value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def code_for(kind: str, fmt: str, subject: Mapping[str, str], inputs: Sequence[Input]) -> str:
    """10 base32 characters of SHA-256 over what the document is made of (50 bits: no two
    documents of one service meet by chance)."""
    made_of = {
        "kind": kind,
        "format": fmt,
        "subject": dict(subject),
        "inputs": [i.as_record() for i in sorted(inputs)],
    }
    digest = hashlib.sha256(canonical(made_of).encode()).digest()
    return base64.b32encode(digest).decode()[:CODE_LENGTH]


def checked_code(value: str, field: str = "code") -> str:
    code = value.strip().upper().replace("-", "").replace(" ", "")
    if not CODE_PATTERN.match(code):
        raise InvalidValueError(field, "文书核验码：10 位大写字母 A–Z 与数字 2–7", value)
    return code


def checked_sha256(value: str, field: str = "sha256") -> str:
    digest = value.strip().lower()
    if not SHA256_PATTERN.match(digest):
        raise InvalidValueError(field, "SHA-256：64 位十六进制数字", value)
    return digest


class IssuedDocument(Aggregate):
    """One document as issued: what it is, what it was made from, and the hash of its bytes."""

    class Issued(Aggregate.Created):
        code: str
        """The short code printed on it and in its QR code (`code_for`)."""
        kind: str
        """The kind of document (notice, record_sheet, …), as adapters/documents/kinds.py names it."""
        title: str
        format: str
        subject: dict[str, str]
        """What it is about: task, target, plan, year … as text."""
        inputs: list[dict[str, Any]]
        """Each aggregate read (`Input.as_record`), at the version it was read."""
        dated: datetime
        """The date printed on it: the business time of its latest input event, never the clock."""
        sha256: str
        size: int
        url: str
        """The check URL printed on it (and in its QR code), as it was when issued."""
        by: str
        """Who issued it, as the policy names the actor."""
        department: str
        """The issuing department, or empty for the office."""
        at: datetime

    @staticmethod
    def id_for(code: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"ssj:document:{code}")

    @staticmethod
    def create_id(code: str, **_: Any) -> UUID:
        return IssuedDocument.id_for(code)

    @classmethod
    def issue(
        cls,
        *,
        kind: str,
        title: str,
        fmt: str,
        subject: Mapping[str, str],
        inputs: Sequence[Input],
        dated: datetime,
        sha256: str,
        size: int,
        url: str,
        by: str,
        department: str,
        at: datetime,
    ) -> IssuedDocument:
        if fmt not in FORMATS:
            raise InvalidValueError("format", "pdf、docx 或 xlsx", fmt)
        if not inputs:
            raise InvalidValueError("inputs", "至少一个据以生成文书的记录", inputs)
        ordered = sorted(inputs)
        return cls(
            code=code_for(kind, fmt, subject, ordered),
            kind=kind,
            title=title,
            format=fmt,
            subject=dict(sorted(subject.items())),
            inputs=[i.as_record() for i in ordered],
            dated=moment(dated, "dated"),
            sha256=checked_sha256(sha256),
            size=size,
            url=url,
            by=by,
            department=department,
            at=moment(at),
        )

    @event(Issued)
    def __init__(
        self,
        code: str,
        kind: str,
        title: str,
        format: str,
        subject: dict[str, str],
        inputs: list[dict[str, Any]],
        dated: datetime,
        sha256: str,
        size: int,
        url: str,
        by: str,
        department: str,
        at: datetime,
    ) -> None:
        self.code = code
        self.kind = kind
        self.title = title
        self.format = format
        self.subject = subject
        self.inputs = inputs
        self.dated = dated
        self.sha256 = sha256
        self.size = size
        self.url = url
        self.by = by
        self.department = department
        self.issued_at = at

    @property
    def input_versions(self) -> tuple[Input, ...]:
        return tuple(Input.from_record(i) for i in self.inputs)
