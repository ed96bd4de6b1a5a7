"""The columns that hold chat tokens, read and rewritten as a whole: what the migration that
encrypts old rows, `chatbot secrets rotate` and `chatbot doctor` share.

Which columns those are is the adapter's to say (adapters/slack/oauth.py: SEALED_COLUMNS); the
migration keeps its own copy, as migrations do. A table that does not exist (no workspace ever
installed) is simply skipped. Every function works on the caller's connection, inside its
transaction: a refusal raises and the caller rolls back, so nothing is half re-encrypted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chatbot.secret_keys import SecretKeyError, SecretKeys, looks_sealed

Columns = Mapping[str, Sequence[str]]
"""table name -> the columns of it that hold a token"""


@dataclass(frozen=True)
class Survey:
    """What the token columns hold, counted value by value (NULLs are not counted)."""

    plaintext: int = 0
    current: int = 0  # sealed with the first key
    older: int = 0  # sealed with another of the keys: `reseal` moves them to the first
    unreadable: int = 0  # sealed, but no key given opens them (or no key was given)

    @property
    def stored(self) -> int:
        return self.plaintext + self.current + self.older + self.unreadable


def _rows(connection: Connection, columns: Columns):
    """(table, id, column, value) for every non-NULL token value, tables that exist only."""
    existing = set(sa.inspect(connection).get_table_names())
    for name, names in columns.items():
        if name not in existing:
            continue
        table = sa.table(name, sa.column("id"), *(sa.column(c) for c in names))
        for row in connection.execute(sa.select(table).order_by(table.c.id)).mappings():
            for column in names:
                if row[column] is not None:
                    yield table, row["id"], column, row[column]


def survey(connection: Connection, keys: SecretKeys | None, columns: Columns) -> Survey:
    counts = {"plaintext": 0, "current": 0, "older": 0, "unreadable": 0}
    for _table, _id, _column, value in _rows(connection, columns):
        if not looks_sealed(value):
            counts["plaintext"] += 1
        elif keys is None:
            counts["unreadable"] += 1
        elif keys.sealed_with_first(value):
            counts["current"] += 1
        else:
            try:
                keys.open(value)
                counts["older"] += 1
            except SecretKeyError:
                counts["unreadable"] += 1
    return Survey(**counts)


def reseal(connection: Connection, keys: SecretKeys, columns: Columns, *, plaintext_only: bool = False) -> int:
    """Encrypt every stored token with the first key: plain text sealed, other keys' tokens re-sealed
    (`plaintext_only`: sealed ones are left as they are). Returns how many values were rewritten.

    SecretKeyError, before anything is written, when a stored token opens with none of the keys.
    """
    found = list(_rows(connection, columns))
    if any(looks_sealed(value) for *_, value in found):
        unreadable = sum(1 for *_, value in found if looks_sealed(value) and not _opens(keys, value))
        if unreadable:
            raise SecretKeyError(f"{unreadable} stored token(s) cannot be decrypted with SECRET_KEYS: the key that "
                                 f"encrypted them is not among them (put it back, after the new one); nothing changed")
    rewritten = 0
    for table, row_id, column, value in found:
        if plaintext_only and looks_sealed(value):
            continue
        connection.execute(sa.update(table).where(table.c.id == row_id).values({column: keys.reseal(value)}))
        rewritten += 1
    return rewritten


def unseal(connection: Connection, keys: SecretKeys, columns: Columns) -> int:
    """Decrypt every sealed value back to plain text (a migration's downgrade: the code before it
    reads plain text). Returns how many values were rewritten; SecretKeyError when one does not open."""
    rewritten = 0
    for table, row_id, column, value in list(_rows(connection, columns)):
        if looks_sealed(value):
            connection.execute(sa.update(table).where(table.c.id == row_id).values({column: keys.open(value)}))
            rewritten += 1
    return rewritten


def _opens(keys: SecretKeys, value: str) -> bool:
    try:
        keys.open(value)
        return True
    except SecretKeyError:
        return False
