"""The embedded default's own tables: the read models in the same SQLite file as the events."""
