"""The SQL engines (SQLite, PostgreSQL): one schema, one set of resources over SQLAlchemy Core."""
