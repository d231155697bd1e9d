"""The store: one interface (base.Store), engines for SQLite and PostgreSQL."""
