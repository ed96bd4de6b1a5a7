"""`chatbot doctor`'s Slack line: the bot token answers `auth.test`, or under OAuth each installed
workspace's stored token does. Tokens read are added to what the report masks."""

from __future__ import annotations

from adapters.platform import Findings, Probe, first_line

CHAT_TIMEOUT_S = 20
REFUSED_TOKEN = {"invalid_auth", "token_revoked", "account_inactive", "not_authed", "token_expired",
                 "no_permission", "ekm_access_denied"}


def check_slack(findings: Findings, probe: Probe, settings) -> None:
    check = "Slack"
    if settings.token_problem():
        findings.skip(check, "not checked: the token is of the wrong kind (see configuration)")
        return
    if settings.oauth and not settings.slack_bot_token:
        _installs(findings, probe, settings)
        return
    if not settings.slack_bot_token:
        findings.skip(check, "not checked: no SLACK_BOT_TOKEN, and OAuth needs SLACK_CLIENT_SECRET too "
                           "(see configuration)")
        return
    answer = _auth_test(settings.slack_bot_token, settings.api_url)
    if answer.get("ok"):
        mode = "Socket Mode" if settings.socket_mode else "over HTTP"
        findings.ok(check, f"the bot token works for workspace {answer.get('team')} ({answer.get('team_id')}), {mode}")
    else:
        findings.bad(check, _slack_refusal("SLACK_BOT_TOKEN", answer, settings.api_url))


def _installs(findings: Findings, probe: Probe, settings) -> None:
    """OAuth: each Slack team's installation answers auth.test with its stored token."""
    from sqlalchemy import inspect

    from adapters.slack.oauth import SealedInstallationStore
    from chatbot.inbound import all_teams
    from chatbot.secret_keys import SecretKeyError

    check = "Slack"
    if not probe.migrated:
        findings.skip(check, "not checked: OAuth installs live in the database, which is not ready (see above)")
        return
    if settings.keys_problem():
        findings.skip(check, "not checked: the stored tokens need SECRET_KEYS (see configuration)")
        return
    store = SealedInstallationStore(client_id=settings.slack_client_id, engine=probe.engine,
                                    keys=settings.required_keys())
    if not inspect(probe.engine).has_table(store.bots.name):
        findings.bad(check, "no workspace has installed the app yet: open https://YOUR-APP-HOST/slack/install")
        return
    teams = [t for t in all_teams(probe.core) if t.platform == "slack"]
    working, broken = [], []
    for team in teams:
        try:
            bot = store.find_bot(enterprise_id=None, team_id=team.platform_team_id)
        except SecretKeyError:
            broken.append(f"{team.name}'s token cannot be decrypted with SECRET_KEYS (see secret keys)")
            continue
        if bot is None:
            broken.append(f"{team.name} has no installation (reinstall through /slack/install)")
            continue
        probe.secrets.append(bot.bot_token)
        answer = _auth_test(bot.bot_token, settings.api_url)
        if answer.get("ok"):
            working.append(team.name)
        else:
            broken.append(f"{team.name}'s token was refused ({answer.get('error')}): reinstall through /slack/install")
    if broken:
        findings.bad(check, "; ".join(broken))
    elif working:
        findings.ok(check, f"{len(working)} installed workspace(s), every token works ({', '.join(working)})")
    else:
        findings.bad(check, "no workspace has installed the app yet: open https://YOUR-APP-HOST/slack/install")


def _auth_test(token: str, base_url: str) -> dict:
    """Slack's auth.test with `token`: its answer, or {"ok": False, "error": ..., "unreachable": True}."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token=token, base_url=base_url, timeout=CHAT_TIMEOUT_S)
    try:
        return dict(client.auth_test().data)
    except SlackApiError as exc:
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        return {"ok": False, "error": data.get("error") or f"HTTP {exc.response.status_code}"}
    except Exception as exc:  # noqa: BLE001 - the network, DNS, TLS
        return {"ok": False, "error": first_line(exc), "unreachable": True}


def _slack_refusal(variable: str, answer: dict, base_url: str) -> str:
    error = answer.get("error")
    if answer.get("unreachable"):
        return f"cannot reach Slack at {base_url} ({error}): check this host's network (or SLACK_API_URL)"
    if error in REFUSED_TOKEN:
        return (f"Slack refused {variable} ({error}): the token is wrong or was revoked (the app uninstalled or "
                f"reinstalled?). Copy the Bot User OAuth Token (xoxb-...) from api.slack.com/apps → your app → "
                f"OAuth & Permissions, set {variable} and restart")
    return f"auth.test answered {error}: see api.slack.com/methods/auth.test"
