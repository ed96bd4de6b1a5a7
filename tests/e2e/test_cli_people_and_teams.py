"""`chatbot member ...`, `chatbot team create` and which team a command picks, through the real
CLI on an SQLite file. Refusals are one line on stderr with exit code 1, never a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from chatbot.core import bootstrap
from chatbot.team import roster
from entrypoints.cli import app

runner = CliRunner()


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .env from the project
    for name in ("DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return f"sqlite:///{tmp_path / 'cli.db'}"


def cli(db, *args):
    return runner.invoke(app, [*args, "--database-url", db])


def refused(result, line: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr == line + "\n"
    assert result.exception is None or isinstance(result.exception, SystemExit)


def console_team(db):
    """The team the console makes for itself."""
    return roster.ensure_team(bootstrap(db), name="Demo Motors (console)", platform="console",
                              platform_team_id="console")


class TestMembers:
    def test_a_rep_added_by_email_before_using_slack_is_listed_as_not_seen_yet(self, db):
        cli(db, "team", "create", "--name", "Demo Motors")

        added = cli(db, "member", "add", "--name", "Sam", "--email", "Sam@Dealer.com", "--oncall", "1")
        manager = cli(db, "member", "add", "--name", "Pat", "--slack-id", "U0PAT0001", "--role", "manager")
        listed = cli(db, "member", "list")

        assert added.exit_code == 0 and manager.exit_code == 0, added.output + manager.output
        assert added.stdout == ("Sam is on Demo Motors as a rep: e-mail sam@dealer.com, not seen in Slack yet "
                                "(matched by e-mail the first time they use it), on call #1.\n")
        assert listed.stdout == (
            "Demo Motors: 2 people\n"
            "  Pat  manager  chat id U0PAT0001\n"
            "  Sam  rep  e-mail sam@dealer.com, not seen in Slack yet (matched by e-mail the first time they use "
            "it), on call #1\n")

    def test_set_role_and_remove_name_a_person_by_name_email_or_chat_id(self, db):
        cli(db, "team", "create", "--name", "Demo Motors")
        cli(db, "member", "add", "--name", "Sam", "--email", "sam@dealer.com")
        cli(db, "member", "add", "--name", "Alex", "--slack-id", "U0ALEX001")

        promoted = cli(db, "member", "set-role", "sam@dealer.com", "manager")
        removed = cli(db, "member", "remove", "U0ALEX001")

        assert promoted.stdout == "Sam is now a manager (was a rep).\n"
        assert removed.stdout == "Alex is off the team.\n"
        assert cli(db, "member", "list").stdout.splitlines()[0] == "Demo Motors: 1 person"

    def test_refusals_are_one_line_and_change_nothing(self, db):
        cli(db, "team", "create", "--name", "Demo Motors")
        cli(db, "member", "add", "--name", "Sam", "--email", "sam@dealer.com")
        before = cli(db, "member", "list").stdout

        refused(cli(db, "member", "add", "--name", "Riley"),
                "Say how the bot will know Riley: an e-mail, a chat user id, or both.")
        refused(cli(db, "member", "add", "--name", "Riley", "--slack-id", "riley"),
                "'riley' is not a Slack member id like U0123ABCD (in Slack: their profile, ⋮, Copy member ID).")
        refused(cli(db, "member", "set-role", "Sam", "boss"), "'boss' is not a role: rep, manager or admin.")
        refused(cli(db, "member", "remove", "Taylor"),
                "Nobody on this team is called Taylor (by name, e-mail or chat id). On the team: Sam.")
        assert cli(db, "member", "list").stdout == before


class TestTeams:
    def test_a_team_name_in_use_is_refused_whatever_its_case(self, db):
        first = cli(db, "team", "create", "--name", "Demo Motors")
        again = cli(db, "team", "create", "--name", "demo motors")

        assert first.exit_code == 0
        refused(again, "Team #1 (api) is already called 'Demo Motors'. Team names are unique: pick another, "
                       "e.g. 'demo motors North'.")
        assert [t.name for t in roster.all_teams(bootstrap(db))] == ["Demo Motors"]

    def test_import_into_a_team_that_does_not_exist_says_how_to_create_it(self, db, tmp_path):
        export = tmp_path / "export.csv"
        export.write_text("Lead ID,Customer,Created\n1,Ann Lee,2026-11-20 09:30\n")

        result = cli(db, "import", str(export), "--team", "Demo Motors")

        refused(result, "No team called 'Demo Motors'. Create it first: "
                        "chatbot team create --name 'Demo Motors' --timezone America/Chicago")

    def test_with_no_team_given_the_consoles_team_is_never_picked(self, db):
        console_team(db)

        result = cli(db, "member", "list")

        refused(result, "No team yet. Create one: chatbot team create --name 'Demo Motors' --timezone "
                        "America/Chicago (the console's own team is used only when named with --team).")

    def test_with_no_team_given_the_only_team_that_is_not_the_consoles_is_picked(self, db):
        console_team(db)
        cli(db, "team", "create", "--name", "Demo Motors")

        made = cli(db, "keys", "create", "--name", "cars.com")
        assert made.exit_code == 0, made.output
        assert "Demo Motors" in cli(db, "keys", "list").stdout
        assert "Demo Motors (console)" not in cli(db, "keys", "list").stdout

    def test_a_name_matches_exactly_ignoring_case_and_the_console_team_by_its_own_name(self, db):
        console_team(db)
        cli(db, "team", "create", "--name", "Demo Motors")

        exact = cli(db, "member", "add", "--team", "DEMO MOTORS", "--name", "Sam", "--email", "sam@dealer.com")
        console = cli(db, "member", "list", "--team", "demo motors (console)")

        assert exact.stdout.startswith("Sam is on Demo Motors as a rep")
        assert console.stdout == "Demo Motors (console): 0 people\n"
        refused(cli(db, "member", "list", "--team", "Demo"),
                "No team called 'Demo'. Create it first: chatbot team create --name 'Demo' --timezone "
                "America/Chicago (teams here: Demo Motors (console) #1, Demo Motors #2)")

    def test_two_teams_and_no_team_given_asks_which(self, db):
        cli(db, "team", "create", "--name", "Demo Motors")
        cli(db, "team", "create", "--name", "Demo Motors North")

        refused(cli(db, "member", "list"), "Say which team with --team: Demo Motors (#1), Demo Motors North (#2).")


def test_names_with_terminal_control_characters_are_printed_written_out_never_obeyed(db):
    """A team or person named with an escape sequence cannot recolour, hide or rewrite the operator's terminal."""
    made = cli(db, "team", "create", "--name", "Demo\x1b[2J Motors", "--timezone", "America/Chicago")
    assert made.exit_code == 0, made.output
    refused = cli(db, "member", "add", "--name", "Sam\x1b]8;;http://evil.example\x07", "--team", "1")
    added = cli(db, "member", "add", "--name", "Sam\x1b]8;;http://evil.example\x07", "--email", "sam@demo.example",
                "--team", "1")

    listed = cli(db, "member", "list", "--team", "1")
    teams = cli(db, "team", "list")

    assert refused.exit_code == 1 and added.exit_code == 0, added.output
    assert "\x1b" not in made.output + refused.output + added.output + listed.output + teams.output
    assert made.output.startswith("Team #1: Demo\\x1b[2J Motors (America/Chicago")
    assert "  Sam\\x1b]8;;http://evil.example\\x07  rep" in listed.output
    assert "#1  Demo\\x1b[2J Motors  api  America/Chicago" in teams.output
