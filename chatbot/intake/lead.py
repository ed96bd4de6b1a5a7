"""The one shape every intake format is parsed into before the core stores it.

Parsers (JSON, ADF/XML, e-mail, CSV) produce an ``IncomingLead``; ``tracker.ingest`` stores it.
Contact details arrive raw here: the core normalises phones to E.164 with the team's region.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

PhoneType = Literal["voice", "cell", "fax", "pager", "unknown"]
VehicleInterest = Literal["buy", "lease", "sell", "trade-in", "test-drive", "unknown"]


class Phone(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=3, max_length=40, description="As the customer gave it.")
    type: PhoneType = "unknown"
    best_time: str | None = Field(default=None, max_length=80, description="e.g. 'morning'")


class Customer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="Full name as it will show on the card.")
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=254)
    phones: list[Phone] = Field(default_factory=list, max_length=10)
    postal_code: str | None = Field(default=None, max_length=20)


class Vehicle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    interest: VehicleInterest = "buy"
    status: Literal["new", "used", "unknown"] = "unknown"
    year: int | None = Field(default=None, ge=1900, le=2100)
    make: str | None = Field(default=None, max_length=60)
    model: str | None = Field(default=None, max_length=80)
    trim: str | None = Field(default=None, max_length=80)
    vin: str | None = Field(default=None, max_length=17)
    stock: str | None = Field(default=None, max_length=40)
    price: str | None = Field(default=None, max_length=40)

    def describe(self) -> str:
        """'2024 Honda CR-V EX-L (used, stock 4471)': what a rep reads on the card."""
        words = [str(self.year) if self.year else None, self.make, self.model, self.trim]
        text = " ".join(w for w in words if w) or "vehicle not specified"
        extras = [self.status if self.status != "unknown" else None,
                  f"stock {self.stock}" if self.stock else None]
        extras = [e for e in extras if e]
        return f"{text} ({', '.join(extras)})" if extras else text


class IncomingLead(BaseModel):
    """A lead as a provider, form, e-mail or CRM delivered it, before it is stored."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, max_length=80, description="Where the lead came from: 'cars.com', 'website', ...")
    external_id: str | None = Field(
        default=None, max_length=200,
        description="The sender's id for this lead; with the source it makes a delivery idempotent.",
    )
    submitted_at: datetime | None = Field(
        default=None, description="When the customer asked, with its time zone. Omitted: the time it reached the bot.",
    )
    customer: Customer
    vehicles: list[Vehicle] = Field(default_factory=list, max_length=10)
    comments: str | None = Field(default=None, max_length=4000)
    provider: str | None = Field(default=None, max_length=200, description="The lead provider's name (ADF <provider>).")
    vendor: str | None = Field(default=None, max_length=200, description="The dealership named by the provider (ADF <vendor>).")
    # The provider's date as sent, when it could not be read (so submitted_at is None). Not a
    # field: no sender can set it; a parser notes it, and intake warns instead of timing quietly.
    _unread_date: str | None = PrivateAttr(default=None)

    @field_validator("submitted_at")
    @classmethod
    def _must_have_time_zone(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("submitted_at needs a time zone, e.g. 2026-11-24T09:30:00-05:00")
        return value

    @property
    def unread_date(self) -> str | None:
        """The provider's date exactly as sent, when it could not be read; otherwise None."""
        return self._unread_date

    def note_unread_date(self, text: str | None) -> IncomingLead:
        """Record that the provider sent ``text`` as the date and it could not be read."""
        self._unread_date = text
        return self

    def vehicle_of_interest(self) -> Vehicle | None:
        """The car the customer wants (not the trade-in), or None."""
        for vehicle in self.vehicles:
            if vehicle.interest not in ("sell", "trade-in"):
                return vehicle
        return None

    def trade_in(self) -> Vehicle | None:
        for vehicle in self.vehicles:
            if vehicle.interest in ("sell", "trade-in"):
                return vehicle
        return None
