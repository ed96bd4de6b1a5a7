"""The one error every intake parser raises, so callers need a single ``except``."""

from __future__ import annotations


class LeadFormatError(Exception):
    """The data could not be turned into leads; says what is wrong and where.

    ``where`` points a person at the problem in the sender's terms: "line 12, column 5"
    for XML, "prospect 1 > customer > contact" for ADF, "customer.phones.0.number" for JSON.
    """

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(message, where)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.message} (at {self.where})" if self.where else self.message


class TooLarge(LeadFormatError):
    """The message is over one of the intake's limits (bytes, MIME parts, leads, lines): the
    intake answers 413 at once, having stored nothing, instead of spending seconds on it."""


MAX_LEADS = 50
"""Leads in one message (an ADF document's prospects, an e-mail's ADF documents together).
A provider sends one lead per message; a batch of thousands ties up the intake for minutes."""

MAX_PARTS = 100
"""MIME parts in one e-mail. A lead e-mail has a handful (text, HTML, an ADF or a brochure)."""

MAX_LINES = 5_000
"""Lines in a plain-text lead. A form's e-mail has a few dozen."""

