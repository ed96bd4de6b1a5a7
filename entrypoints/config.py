"""Every setting the bot reads, in one place: from the environment or a `.env` file.

`Settings` lists each variable with what it means: the process's own (`ProcessSettings`), then each
chat platform's, which its plugin names (`ChatPlatform.settings`: SlackSettings, TeamsSettings) and
`compose` adds, in the order of entrypoints/platforms.py. `settings.of(SLACK)` gives a platform its own
class built from the values read here. The README's table of variables is generated from it and
checked against it (tests/unit/test_config.py), and `chatbot doctor` reports what is wrong with it.

Read when a command starts (`load()`), never at import. A variable set in the environment wins
over the same name in `.env`; names are case-insensitive.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from pydantic import Field, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.platform import SECRET, ChatPlatform, secret_fields
from entrypoints.platforms import PLATFORMS

ENV_FILE = ".env"

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ProcessSettings(BaseSettings):
    """The bot's configuration: the process's variables here, the platforms' added by `compose`. Each
    field is one variable (its name in capitals); `description` is its meaning, as the README's table
    shows it."""

    model_config = SettingsConfigDict(env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore")

    # ------------------------------------------------------------------ the process
    database_url: str | None = Field(
        None, description="The database: `postgres://user:pass@host:5432/db` or `postgresql://...` as hosts give it "
        "(query parameters such as `?sslmode=require` are kept), or any SQLAlchemy URL")
    port: int = Field(3000, description="The port `chatbot web` (and `chatbot run` with Slack or Teams) listens on")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR: how much the logs say")
    metrics_token: str | None = Field(
        None, description="A bearer token `/metrics` requires (`Authorization: Bearer ...`, Prometheus's "
        "`authorization` setting), on the web app and `chatbot worker --metrics-port`. Unset: `/metrics` answers "
        "anyone who can reach the port, so keep that port private", json_schema_extra=SECRET)
    secret_keys: str | None = Field(
        None, description="Fernet keys, comma-separated, that encrypt the secrets kept in the database (chat tokens, "
        "intake signing secrets): the first encrypts, every one decrypts. Required with SLACK_CLIENT_ID (each "
        "workspace's token is stored) and for signed intake keys (`chatbot keys create --hmac`). Make one "
        "with `chatbot secrets new-key`; to rotate: put the new key first, run `chatbot secrets rotate`, then drop "
        "the old one", json_schema_extra=SECRET)

    platforms: ClassVar[tuple[ChatPlatform, ...]] = ()
    """The chat platforms whose variables this class reads too (`compose`)."""

    def of(self, chat: ChatPlatform) -> BaseSettings:
        """A platform's own settings (its class, e.g. SlackSettings), from these values (not read again)."""
        return chat.settings(**{name: getattr(self, name) for name in chat.settings.model_fields})

    def chats(self) -> list[ChatPlatform]:
        """The platforms these settings configure, in order."""
        return [chat for chat in self.platforms if chat.configured(self.of(chat))]

    @property
    def log_level_number(self) -> int:
        """LOG_LEVEL as a logging level (INFO when it names none: `chatbot doctor` says so)."""
        level = logging.getLevelName(self.log_level.strip().upper())
        return level if isinstance(level, int) else logging.INFO

    def secrets(self) -> tuple[str, ...]:
        """The secret values set, to keep out of anything printed: each platform's (`ChatPlatform.secrets`),
        METRICS_TOKEN, each of SECRET_KEYS's keys on its own, and DATABASE_URL's password."""
        values = [getattr(self, name) for name in secret_fields(ProcessSettings)]
        values += [value for chat in self.platforms for value in chat.secrets(self.of(chat))]
        values += sorted(database_passwords(self.database_url))
        keys = [k.strip() for k in (self.secret_keys or "").split(",") if k.strip()]
        return tuple(dict.fromkeys(v for v in values + keys if v))


def compose(chats: tuple[ChatPlatform, ...]) -> type[ProcessSettings]:
    """One settings class: the process's variables, then each platform's (`ChatPlatform.settings`) in order;
    a name two classes share (SECRET_KEYS) is read once."""
    fields = {}
    for chat in chats:
        for name, field in chat.settings.model_fields.items():
            if name not in ProcessSettings.model_fields and name not in fields:
                fields[name] = (field.annotation, field)
    made = create_model("Settings", __base__=ProcessSettings, __module__=__name__, **fields)
    made.__doc__ = ProcessSettings.__doc__
    made.platforms = tuple(chats)
    return made


Settings = compose(PLATFORMS)
SECRETS = frozenset(secret_fields(Settings))
"""Variables never printed (doctor, logs): tokens, signing and client secrets, the keys that encrypt stored tokens;
DATABASE_URL's password too."""


def database_passwords(url: str | None) -> tuple[str, ...]:
    """The password in `postgresql://user:password@host/db` as written and as decoded (`%40` is `@`)."""
    from urllib.parse import unquote, urlsplit

    try:
        written = urlsplit(url or "").password
    except ValueError:
        return ()
    return tuple({written, unquote(written)}) if written else ()


def load(settings_class: type[ProcessSettings] | None = None) -> ProcessSettings:
    """The settings now: the environment, then `.env` in the working directory. `settings_class`:
    another composition (`compose`) than the platforms of entrypoints/platforms.py."""
    return (settings_class or Settings)()


def variables() -> list[tuple[str, str, str]]:
    """(NAME, meaning, default) for every variable, in the class's order."""
    return [(name.upper(), field.description or "", _shown(name, field.default))
            for name, field in Settings.model_fields.items()]


SHOWN_DEFAULTS = {"database_url": "`sqlite:///chatbot.db` (a file in the working directory)"}


def _shown(name: str, default: object) -> str:
    shown = SHOWN_DEFAULTS | {n: text for chat in PLATFORMS for n, text in chat.shown_defaults.items()}
    if name in shown:
        return shown[name]
    if default is None:
        return "unset"
    if isinstance(default, bool):
        return str(default).lower()
    return f"`{default}`"


def readme_table() -> str:
    """The README's table of variables (`python -m entrypoints.config` prints it; a test keeps them equal)."""
    rows = ["| variable | meaning | default |", "|---|---|---|"]
    rows += [f"| `{name}` | {meaning} | {default} |" for name, meaning, default in variables()]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(readme_table(), end="")
