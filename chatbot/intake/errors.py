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
