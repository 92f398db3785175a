"""The store: SQLAlchemy Core tables, migrations and the group-commit database handle."""
