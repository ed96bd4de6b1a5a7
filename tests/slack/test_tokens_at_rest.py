"""Chat tokens at rest: the database alone never yields a working token. After an OAuth install
(a bot token and a user token) and after a single-workspace start, no row of any table holds
`xox`, read with plain SQL on SQLite and on PostgreSQL; the tokens still work through the
product (the fake Slack sees the right bearer token). Rows stored before encryption are
encrypted by the upgrade, which refuses without a key and changes nothing."""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from fastapi.testclient import TestClient
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import create_engine, inspect, text

from adapters.slack.app import create_slack_app
from adapters.slack.chat import make_client
from adapters.slack.oauth import installation_store
from adapters.slack.services import SlackServices, register_slack
from adapters.slack.settings import SlackSettings
from chatbot.core import alembic_config, bootstrap, upgrade_database
from chatbot.domain.clock import ManualClock
from chatbot.leads import tracker
from chatbot.messaging.platforms import Platforms, deliver_all
from chatbot.secret_keys import SecretKeyError, SecretKeys
from chatbot.store.db import make_engine
from entrypoints.web import create_web_app
from tests.conftest import POSTGRES_SERVER, TUESDAY_10AM
from tests.fakes.slack_web_api import FakeSlack
from tests.helpers import incoming
from tests.slack.harness import LEADS, SECRET
from tests.slack.test_oauth import KEY, install

USER_TOKEN = "xoxp-3333-4444-installinguserfakefake"
PLAINTEXT_BOT = "xoxb-5555-6666-storedbeforeencryption"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request, tmp_path):
    """The URL of a new, empty database: the installation tables outlive the `core` fixture's TRUNCATE."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'at-rest.db'}"
        return
    request.getfixturevalue("postgres_url")  # skips (or fails under REQUIRE_POSTGRES) with no server
    name = f"chatbot_at_rest_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield POSTGRES_SERVER.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def every_value(engine) -> str:
    """Every value of every row of every table, as plain SQL reads it, in one text."""
    values = []
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                values.extend(str(value) for value in row)
    return "\n".join(values)


def test_after_an_oauth_install_no_row_holds_a_token_and_the_tokens_still_work(database):
    with FakeSlack(client_id="1111.2222", client_secret="fake-client-secret", user_token=USER_TOKEN) as fake:
        core = bootstrap(database, ManualClock(TUESDAY_10AM))
        settings = SlackSettings(_env_file=None, slack_client_id=fake.client_id, slack_client_secret=fake.client_secret,
                                 slack_signing_secret=SECRET, slack_api_url=fake.base_url, leads_channel=LEADS,
                                 secret_keys=KEY)
        web = TestClient(create_web_app(core, register_slack(Platforms(), core, settings),
                                        slack_app=create_slack_app(core, settings, make_client(None, fake.base_url))))
        install(web)
        web.close()

        stored = every_value(core.engine)
        assert "xox" not in stored and fake.token not in stored and USER_TOKEN not in stored
        assert "slack_bots" in inspect(core.engine).get_table_names()
        found = installation_store(core.engine, fake.client_id, SecretKeys.parse(KEY)).find_installation(
            enterprise_id=None, team_id=fake.team_id)
        assert (found.bot_token, found.user_token) == (fake.token, USER_TOKEN)

        team_id = SlackServices(core, settings).team_id(fake.team_id)
        tracker.ingest(core, team_id, incoming())
        assert deliver_all(core, register_slack(Platforms(), core, settings)).sent == 1
        (post,) = fake.calls_to("chat.postMessage")
        assert post.headers["Authorization"] == f"Bearer {fake.token}"
        assert fake.errors == []
    core.engine.dispose()


def test_a_single_workspace_start_stores_no_token(database):
    with FakeSlack() as fake:
        core = bootstrap(database, ManualClock(TUESDAY_10AM))
        settings = SlackSettings(_env_file=None, slack_bot_token=fake.token, slack_signing_secret=SECRET,
                                 slack_api_url=fake.base_url, leads_channel=LEADS)
        client = make_client(fake.token, fake.base_url)
        slack_app = create_slack_app(core, settings, client)
        services = SlackServices(core, settings, workspace=fake.team_id)
        tracker.ingest(core, services.team_id(fake.team_id), incoming())
        services.deliver(client)
        slack_app.listener_runner.listener_executor.shutdown(wait=True)

        assert "xox" not in every_value(core.engine)
        assert [c.headers["Authorization"] for c in fake.calls_to("chat.postMessage")] == [f"Bearer {fake.token}"]
    core.engine.dispose()


def stored_before_encryption(url: str):
    """A database at 0011 holding a workspace's tokens as the code before 0012 stored them: in plain text."""
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0011")
    old_store = SQLAlchemyInstallationStore(client_id="1111.2222", engine=engine)
    old_store.create_tables()
    old_store.save(Installation(app_id="A0LEADAPP", team_id="T0DEALER1", bot_token=PLAINTEXT_BOT, bot_id="B0LEADBOT",
                                bot_user_id="U0LEADBOT", bot_scopes=["chat:write"], user_id="U0INSTALL1",
                                user_token=USER_TOKEN, user_scopes=["reactions:read"]))
    return engine


def version(engine) -> str:
    with engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def test_the_upgrade_encrypts_tokens_stored_before_and_refuses_without_a_key(database):
    engine = stored_before_encryption(database)

    with pytest.raises(SecretKeyError) as refused:
        upgrade_database(engine)
    assert str(refused.value) == (
        "SECRET_KEYS is not set and the database holds 3 Slack token(s) in plain text: make one with `chatbot "
        "secrets new-key` (or python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key()"
        ".decode())'), set SECRET_KEYS to it and upgrade again (nothing changed)")
    assert version(engine) == "0011" and PLAINTEXT_BOT in every_value(engine)  # 3: the bot token twice, the user token

    upgrade_database(engine, KEY)

    assert version(engine) == "0014"
    assert "xox" not in every_value(engine)
    store = installation_store(engine, "1111.2222", SecretKeys.parse(KEY))
    assert store.find_bot(enterprise_id=None, team_id="T0DEALER1").bot_token == PLAINTEXT_BOT
    assert store.find_installation(enterprise_id=None, team_id="T0DEALER1").user_token == USER_TOKEN
    rotating = "xoxe.xoxb-1-" + "R" * 180  # a rotating token: its Fernet token is far over VARCHAR(200)
    store.save(Installation(app_id="A0LEADAPP", team_id="T0LONGTOK", bot_token=rotating, bot_id="B1",
                            bot_user_id="U1", bot_scopes=["chat:write"], user_id="U0INSTALL2",
                            bot_refresh_token="xoxe-1-" + "F" * 150))
    assert store.find_bot(enterprise_id=None, team_id="T0LONGTOK").bot_token == rotating

    command.downgrade(alembic_config(engine, KEY), "0011")  # the code before 0012 reads plain text again
    assert PLAINTEXT_BOT in every_value(engine) and rotating in every_value(engine)
    engine.dispose()


def test_a_database_with_no_token_upgrades_without_a_key(database):
    engine = make_engine(database)
    upgrade_database(engine)
    assert version(engine) == "0014"
    engine.dispose()


def test_a_team_whose_token_no_key_opens_waits_and_the_others_are_delivered(database, caplog):
    stranger = "c3RyYW5nZXIta2V5LW5ldmVyLXVzZWQtYnktdXMhISE="
    with FakeSlack(client_id="1111.2222", client_secret="fake-client-secret") as fake:
        core = bootstrap(database, ManualClock(TUESDAY_10AM))
        installation_store(core.engine, fake.client_id, SecretKeys.parse(stranger)).save(Installation(
            app_id=fake.app_id, team_id="T0STRANGE", bot_token="xoxb-9-9-strange", bot_id="B9", bot_user_id="U9",
            bot_scopes=["chat:write"], user_id="U0INSTALL9"))
        installation_store(core.engine, fake.client_id, SecretKeys.parse(KEY)).save(Installation(
            app_id=fake.app_id, team_id=fake.team_id, bot_token=fake.token, bot_id=fake.bot_id,
            bot_user_id=fake.bot_user_id, bot_scopes=["chat:write"], user_id="U0INSTALL1"))
        settings = SlackSettings(_env_file=None, slack_client_id=fake.client_id, slack_client_secret=fake.client_secret,
                                 slack_signing_secret=SECRET, slack_api_url=fake.base_url, leads_channel=LEADS,
                                 secret_keys=KEY)
        services = SlackServices(core, settings)
        strange, ours = services.admit("T0STRANGE"), services.admit(fake.team_id)
        for team_id in (strange, ours):
            tracker.ingest(core, team_id, incoming())

        assert deliver_all(core, register_slack(Platforms(), core, settings)).sent == 1

        assert [c.headers["Authorization"] for c in fake.calls_to("chat.postMessage")] == [f"Bearer {fake.token}"]
        assert [r.getMessage() for r in caplog.records if r.name == "adapters.slack.services"] == [
            f"Slack token of team={strange} cannot be decrypted with SECRET_KEYS: its messages wait (`chatbot doctor`)"]
    core.engine.dispose()
