"""Alembic owns the schema: the migrations build exactly what the models describe, and go back down."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from chatbot.core import alembic_config, bootstrap, upgrade_database
from chatbot.store.db import make_engine


def test_the_migrations_match_the_models(core):
    with core.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_upgrading_twice_is_harmless(tmp_path, clock):
    core = bootstrap(f"sqlite:///{tmp_path / 'twice.db'}", clock)
    upgrade_database(core.engine)
    with core.engine.connect() as connection:
        assert connection.exec_driver_sql("select count(*) from alembic_version").scalar() == 1


def test_the_migrations_go_back_down_to_the_first_and_up_again(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    config = alembic_config(engine)
    command.upgrade(config, "head")
    command.downgrade(config, "0001")
    assert {"apikey", "processedevent"}.isdisjoint(inspect(engine).get_table_names())
    assert "email" not in {c["name"] for c in inspect(engine).get_columns("member")}
    command.upgrade(config, "head")
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                SQLModel.metadata) == []
    engine.dispose()
