"""Alembic owns the schema: the migrations build exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from chatbot.app import bootstrap, upgrade_database


def test_the_migrations_match_the_models(core):
    with core.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_upgrading_twice_is_harmless(tmp_path, clock):
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    core = bootstrap(url, clock)
    upgrade_database(core.engine)
    with core.engine.connect() as connection:
        assert connection.exec_driver_sql("select count(*) from alembic_version").scalar() == 1
