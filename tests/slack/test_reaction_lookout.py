"""The reaction lookout (chatbot/escalation/lookout.py): a reaction on a card claims the lead even
when Slack's event for it never reached the app (acked and lost in a kill, or sent while the app
was down longer than Slack retries). The worker asks Slack (reactions.get) about unclaimed cards
that have been up for 30 s, each at most once a minute."""

from __future__ import annotations

from datetime import timedelta

from chatbot.core import run
from chatbot.escalation.lookout import ReactionLookout
from chatbot.leads import tracker
from chatbot.team import settings
from tests.slack.harness import ALEX, LEADS, PAT, SAM, SlackHarness, wait_for
from tests.slack.test_card_actions import direct_messages_to, join, owner_of, posted_lead

PLAYBOOK = "Call now. No answer: text, then e-mail, and log each one."


def looks(slack: SlackHarness) -> int:
    return len(slack.fake.calls_to("reactions.get"))


def test_a_reaction_whose_event_never_came_claims_the_lead_and_the_rep_is_told(slack):
    join(slack, SAM, ALEX, PAT)
    lead_id, ts = posted_lead(slack)
    slack.fake.react(ALEX, LEADS, ts, "eyes")  # in Slack's own client: no event reaches the app
    lookout = ReactionLookout()

    slack.core.clock.advance(timedelta(seconds=20))
    assert lookout.look(slack.core, slack.platforms) == 0  # the event itself may still be on its way
    assert looks(slack) == 0 and owner_of(slack, lead_id) is None

    slack.core.clock.advance(timedelta(seconds=11))
    assert lookout.look(slack.core, slack.platforms) == 1
    assert owner_of(slack, lead_id) == ALEX
    slack.deliver()
    assert direct_messages_to(slack, ALEX) == [
        f"Your reaction on the card claimed it. Maria Gonzalez is yours (claimed 31s after posting). {PLAYBOOK}"]
    wait_for(lambda: f"*Owner:* <@{ALEX}>" in slack.card_text(ts))


def test_a_released_lead_is_not_claimed_again_by_the_reaction_that_claimed_it_before(slack):
    join(slack, SAM, ALEX)
    lead_id, ts = posted_lead(slack)
    slack.fake.react(SAM, LEADS, ts, "eyes")
    slack.post(slack.reaction(SAM, ts))  # this time the event came: Sam claims
    wait_for(lambda: owner_of(slack, lead_id) == SAM)
    slack.core.clock.advance(timedelta(minutes=2))
    tracker.release(slack.core, slack.team_id, lead_id, SAM)
    slack.core.clock.advance(timedelta(minutes=2))

    assert ReactionLookout().look(slack.core, slack.platforms) == 0
    assert owner_of(slack, lead_id) is None and looks(slack) == 0


def test_the_first_reactor_on_the_team_wins_and_a_stranger_is_passed_over(slack):
    join(slack, SAM, ALEX)
    lead_id, ts = posted_lead(slack)
    slack.fake.react("U0VISITOR", LEADS, ts, "eyes")  # not on the team
    slack.fake.react(SAM, LEADS, ts, "eyes")
    slack.fake.react(ALEX, LEADS, ts, "fire")
    slack.core.clock.advance(timedelta(minutes=1))

    assert ReactionLookout().look(slack.core, slack.platforms) == 1
    assert owner_of(slack, lead_id) == SAM
    slack.deliver()
    assert direct_messages_to(slack, ALEX) == []


def test_only_the_teams_claim_emoji_claims(slack):
    join(slack, SAM, ALEX, PAT)
    run(slack.core, settings.change_setting, slack.team_id, PAT, "claim-emoji", "raising_hand")
    lead_id, ts = posted_lead(slack)
    slack.fake.react(ALEX, LEADS, ts, "eyes")
    slack.core.clock.advance(timedelta(minutes=1))
    lookout = ReactionLookout()

    assert lookout.look(slack.core, slack.platforms) == 0
    assert owner_of(slack, lead_id) is None

    slack.fake.react(SAM, LEADS, ts, "raising_hand")
    slack.core.clock.advance(timedelta(minutes=1))
    assert lookout.look(slack.core, slack.platforms) == 1
    assert owner_of(slack, lead_id) == SAM


def test_a_card_nobody_reacted_to_is_asked_about_at_most_once_a_minute_and_stays_unclaimed(slack):
    join(slack, SAM)
    lead_id, _ = posted_lead(slack)
    slack.core.clock.advance(timedelta(seconds=40))
    lookout = ReactionLookout()

    assert [lookout.look(slack.core, slack.platforms) for _ in range(3)] == [0, 0, 0]
    assert looks(slack) == 1
    slack.core.clock.advance(timedelta(seconds=59))
    lookout.look(slack.core, slack.platforms)
    assert looks(slack) == 1
    slack.core.clock.advance(timedelta(seconds=1))
    lookout.look(slack.core, slack.platforms)
    assert looks(slack) == 2
    assert owner_of(slack, lead_id) is None


def test_while_slack_is_down_nothing_is_claimed_and_the_card_is_asked_about_again_after(slack):
    join(slack, SAM)
    lead_id, ts = posted_lead(slack)
    slack.fake.react(SAM, LEADS, ts, "eyes")
    slack.core.clock.advance(timedelta(minutes=1))
    lookout = ReactionLookout()

    with slack.fake.outage(503):
        assert lookout.look(slack.core, slack.platforms) == 0
    assert owner_of(slack, lead_id) is None

    slack.core.clock.advance(timedelta(minutes=1))
    assert lookout.look(slack.core, slack.platforms) == 1
    assert owner_of(slack, lead_id) == SAM
