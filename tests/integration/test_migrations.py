"""Alembic owns the schema: the migrations build exactly what the models describe, and 0002 goes back down."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from chatbot.app import alembic_config
from chatbot.db import make_engine


def test_the_migrated_schema_matches_the_models_and_0002_downgrades_cleanly(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    config = alembic_config(engine)
    command.upgrade(config, "head")
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                SQLModel.metadata) == []
    command.downgrade(config, "0001")
    assert "apikey" not in inspect(engine).get_table_names()
    assert "email" not in {c["name"] for c in inspect(engine).get_columns("member")}
    command.upgrade(config, "head")
    assert "apikey" in inspect(engine).get_table_names()
    engine.dispose()
