"""Passwords hashed with argon2id (pwdlib), the OWASP-recommended memory-hard hash.

The defaults are pwdlib's (64 MiB, 3 passes, 4 lanes: about a tenth of a second here); tests may
pass cheaper ones. A stored hash names its own parameters, so a change of defaults still verifies
the old ones.
"""

from __future__ import annotations

from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher


class Argon2PasswordHasher:
    def __init__(self, time_cost: int = 3, memory_cost: int = 65536, parallelism: int = 4) -> None:
        self._hash = PasswordHash(
            (Argon2Hasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism),)
        )

    def hash(self, password: str) -> str:
        return self._hash.hash(password)

    def verify(self, password: str, password_hash: str) -> bool:
        try:
            return self._hash.verify(password, password_hash)
        except UnknownHashError:  # a row not made by us: never a match
            return False
