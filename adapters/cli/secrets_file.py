"""The lead's secrets between commitment and draw, kept on the lead's machine, never in the log.

Only H(secret) is recorded at commit; the secret itself is revealed by the draw event.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from uuid import UUID


class SecretStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def beside(cls, db: Path) -> SecretStore:
        return cls(db.with_name(db.name + ".secrets.json"))

    def _read(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()}

    def keep(self, task_id: UUID, secret: str) -> None:
        data = self._read()
        data[str(task_id)] = secret
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)

    def get(self, task_id: UUID) -> str | None:
        return self._read().get(str(task_id))
