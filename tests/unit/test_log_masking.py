"""The log handler `chatbot web` and `worker` set up (entrypoints/logs.py): what it never prints,
whoever logs it. The masking is the last net (the project's own lines never carry these values);
tests/slack/test_logs_carry_no_secrets.py drives every route through it at DEBUG."""

from __future__ import annotations

import io
import logging

import pytest

from entrypoints import config, logs


@pytest.fixture
def written():
    stream = io.StringIO()
    settings = config.Settings(_env_file=None, slack_bot_token="xoxb-1-abc", teams_app_password="teams~pass.word-77",
                               metrics_token="scrape-me-4411",
                               database_url="postgres://bot:pg%40pass-9@db.internal:5432/leads")
    handler = logs.configure(logging.DEBUG, stream=stream, secrets=settings.secrets())
    yield stream
    logging.getLogger().removeHandler(handler)
    logging.getLogger("uvicorn.access").handlers.clear()


def test_every_configured_secret_is_masked_teams_password_metrics_token_and_database_password_included(written):
    logging.getLogger("adapters.teams").warning("token request failed: client_secret teams~pass.word-77 refused")
    logging.getLogger("entrypoints.web").warning("scrape with scrape-me-4411; db pg%40pass-9 / pg@pass-9")
    text = written.getvalue()
    assert "teams~pass.word-77" not in text and "scrape-me-4411" not in text and "pass-9" not in text
    assert text.count("(redacted)") == 4


@pytest.mark.parametrize(("line", "shown"), [
    ("Failed to fetch oauth.v2.access result with code: 123.456.abc - error: invalid_code",
     "code: (redacted) - error: invalid_code"),
    ("Failed to find any persistent data for state: 9f1c-77 - timeout", "state: (redacted) - timeout"),
    ("request: {'code': ['123.456.abc'], 'state': ['9f1c-77']}", "{'code': ['(redacted)'], 'state': ['(redacted)']}"),
    ("GET /slack/oauth_redirect?code=123.456.abc&state=9f1c-77", "?code=(redacted)&state=(redacted)"),
    ('{"access_token": "ya29.secret-value", "refresh_token": "1//rt-value"}',  # logfmt escapes the quotes
     r'{\"access_token\": \"(redacted)\", \"refresh_token\": \"(redacted)\"}'),
])
def test_an_oauth_code_state_or_token_a_library_quotes_is_masked(written, line, shown):
    logging.getLogger("slack_bolt.App").warning(line)
    assert shown in written.getvalue()
    for value in ("123.456.abc", "9f1c-77", "ya29", "rt-value"):
        assert value not in written.getvalue()


def test_uvicorns_access_line_gives_the_path_without_its_query(written):
    access = logging.getLogger("uvicorn.access")
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:50312", "GET",
                "/slack/oauth_redirect?code=123.456.abc&state=9f1c-77", "1.1", 200)
    line = written.getvalue().strip()
    assert line.endswith("logger=uvicorn.access msg=request method=GET path=/slack/oauth_redirect status=200 "
                         "client=127.0.0.1:50312")


def test_a_library_that_sets_its_own_level_to_debug_still_says_nothing_below_warning(written):
    bolt = logging.getLogger("slack_bolt.App")
    bolt.setLevel(logging.DEBUG)  # what Bolt does to its loggers when an App is made under LOG_LEVEL=DEBUG
    try:
        bolt.debug("Handling an OAuth callback failure (request: {'note': 'Maria Gonzalez'})")
        bolt.warning("Bolt's warning")
        logging.getLogger("chatbot.delivery").debug("delivery_failed outbox=17")
    finally:
        bolt.setLevel(logging.NOTSET)
    text = written.getvalue()
    assert "Maria" not in text and "Bolt's warning" in text and "delivery_failed outbox=17" in text
