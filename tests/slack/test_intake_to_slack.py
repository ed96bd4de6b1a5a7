"""A lead provider posts an ADF lead to the one web app; the card goes to Slack without waiting
for the worker's tick (bench/intake.py measures how fast)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from adapters.slack.app import create_slack_app
from adapters.slack.chat import make_client
from adapters.slack.settings import SlackSettings
from chatbot.intake.apikeys import create_key
from chatbot.team import roster
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


def test_one_workspace_has_its_team_from_the_start_so_keys_can_be_made_before_any_slack_activity(core, fake):
    settings = SlackSettings(_env_file=None, slack_bot_token=fake.token, slack_signing_secret="s",
                             slack_api_url=fake.base_url, leads_channel=LEADS, team_name="Demo Motors")
    create_slack_app(core, settings, make_client(fake.token, fake.base_url))
    (team,) = [t for t in roster.all_teams(core) if t.platform_team_id == fake.team_id]
    assert (team.name, team.leads_channel) == ("Demo Motors", LEADS)
    assert create_key(core, team.id, "cars.com").key
