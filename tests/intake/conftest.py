"""The intake router mounted on a bare FastAPI app over the `core` fixture (SQLite, then PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from adapters.intake_api import intake_router
from chatbot.intake import apikeys
from chatbot.store.db import transaction
from chatbot.store.models import Lead, OutboxMessage, Touch

ADF_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "adf"


@pytest.fixture
def api(core, team) -> TestClient:
    app = FastAPI()
    app.include_router(intake_router(core, max_lead_bytes=200_000, max_email_bytes=400_000))
    with TestClient(app) as client:
        yield client


@pytest.fixture
def key(core, team) -> apikeys.NewKey:
    return apikeys.create_key(core, team.id, "cars.com")


@pytest.fixture
def auth(key) -> dict[str, str]:
    return {"Authorization": f"Bearer {key.key}"}


def counts(core) -> tuple[int, int, int]:
    """Rows a rejected request must not change: leads, touches, queued messages."""
    with transaction(core.engine) as session:
        return tuple(session.scalar(select(func.count()).select_from(t)) for t in (Lead, Touch, OutboxMessage))
