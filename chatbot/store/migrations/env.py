"""Alembic environment: runs on the engine the app hands it (see chatbot.core.alembic_config)."""

from alembic import context
from sqlmodel import SQLModel

import chatbot.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from chatbot.store.db import include_in_migrations, make_engine

target_metadata = SQLModel.metadata


def run() -> None:
    engine = context.config.attributes.get("engine") or make_engine()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it and dropping the old one: with foreign keys on,
            # dropping a table other rows point at fails (a filled database could not upgrade).
            # The pragma works only outside a transaction: on the driver's connection, before any.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            include_name=include_in_migrations,
            render_as_batch=sqlite,
            on_version_apply=context.config.attributes.get("on_version_apply"),
        )
        try:
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:  # the copies must still hold together, or nothing is committed
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migrations left rows pointing nowhere: {broken[:5]}")
            connection.commit()
        finally:
            if sqlite:
                connection.rollback()
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")


run()
