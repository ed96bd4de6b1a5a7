"""A lead provider posts an ADF lead to the one web app; the card goes to Slack without waiting
for the worker's tick (bench/intake.py measures how fast)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from chatbot.apikeys import create_key
from tests.slack.harness import LEADS, wait_for

ADF = Path(__file__).resolve().parents[1] / "fixtures" / "adf" / "activix_crm_docs_adf_example.xml"


def test_a_posted_adf_lead_is_posted_to_the_leads_channel_by_the_web_app_itself(slack):
    key = create_key(slack.core, slack.team_id, "Activix").key
    with TestClient(slack.web) as http:  # runs the app's lifespan: the outbox courier starts
        answer = http.post("/intake/leads/adf", content=ADF.read_bytes(),
                           headers={"Authorization": f"Bearer {key}", "Content-Type": "application/xml"})
        assert answer.status_code == 201, answer.text
        (card,) = wait_for(lambda: slack.fake.messages.get(LEADS), timeout=5)
    assert answer.json()["lead_id"] and "blocks" in card
    assert slack.fake.errors == []
