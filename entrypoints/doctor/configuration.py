"""The doctor's configuration line: every variable can be read, and what each platform says is
wrong with its own (`ChatPlatform.setting_problems`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from entrypoints import config
from entrypoints.doctor.report import Probe, Report


def configuration(report: Report, settings_class: type[config.ProcessSettings]) -> Probe:
    check = "configuration"
    source = "the environment and .env" if Path(config.ENV_FILE).is_file() else "the environment (no .env here)"
    unreadable: list[str] = []
    try:
        settings = config.load(settings_class)
    except ValidationError as exc:
        wrong = sorted({str(e["loc"][0]) for e in exc.errors() if e.get("loc")})
        for name in wrong:
            unreadable.append(f"{name.upper()} cannot be read ({_pydantic_reason(exc, name)}): "
                              f"{_expected(settings_class, name)}")
        # go on with the defaults for what could not be read, so the other checks still run
        settings = settings_class(**{name: settings_class.model_fields[name].default for name in wrong})
    probe = Probe(settings, secrets=list(settings.secrets()))
    problems = unreadable + _setting_problems(settings)
    for problem in problems:
        report.bad(check, problem)
    if not problems:
        report.ok(check, f"from {source}")
    return probe


def _pydantic_reason(exc: ValidationError, name: str) -> str:
    for error in exc.errors():
        if error.get("loc") and str(error["loc"][0]) == name:
            return error.get("msg", "invalid").lower()
    return "invalid"


def _expected(settings_class: type[config.ProcessSettings], name: str) -> str:
    if name == "port":
        return "set PORT to a port number such as 3000 (hosts set it for the web process)"
    if settings_class.model_fields[name].annotation is bool:
        return f"set {name.upper()} to true or false"
    return f"see {name.upper()} in the README's table of variables"


def _setting_problems(s: config.Settings) -> list[str]:
    problems = []
    if s.log_level.strip().upper() not in config.LOG_LEVELS:
        problems.append(f"LOG_LEVEL={s.log_level!r} is not a level: use one of {', '.join(config.LOG_LEVELS)}")
    if not 0 < s.port < 65536:
        problems.append(f"PORT={s.port} is not a port: use a number from 1 to 65535")
    for chat in s.platforms:
        problems += chat.setting_problems(s.of(chat))
    return problems
