"""The accounts' and idempotency keys' stores (SQLite, PostgreSQL) and the password hasher."""
