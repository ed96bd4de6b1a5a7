"""Alembic environment: runs on the engine the app hands it (see chatbot.core.alembic_config)."""

from alembic import context
from sqlmodel import SQLModel

import chatbot.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from chatbot.core import include_in_migrations
from chatbot.store.db import make_engine

target_metadata = SQLModel.metadata


def run() -> None:
    engine = context.config.attributes.get("engine") or make_engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            include_name=include_in_migrations,
            render_as_batch=connection.dialect.name == "sqlite",
            on_version_apply=context.config.attributes.get("on_version_apply"),
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
