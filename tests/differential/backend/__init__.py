"""A SQLite backend for Django whose text lookups mean what they mean on a real database."""
