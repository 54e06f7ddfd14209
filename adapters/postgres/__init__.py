"""PostgreSQL: the production event store, its schema and the audit chain, read models over asyncpg."""
