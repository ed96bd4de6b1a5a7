"""`chatbot doctor`'s Teams line: Microsoft Entra gives the app a token for the Bot Connector, as the
adapter would get it; the development mode and a missing credential are red."""

from __future__ import annotations

import asyncio
import logging
import re
import threading

from adapters.platform import Findings

CHAT_TIMEOUT_S = 20


def check_teams(findings: Findings, settings, provider_factory) -> None:
    check = "Teams"
    if settings.problem():
        findings.bad(check, settings.problem())
        return
    if settings.anonymous:
        findings.bad(check, "TEAMS_ALLOW_ANONYMOUS=true without TEAMS_APP_ID: /api/messages accepts anyone. Development "
                          "only: in production set TEAMS_APP_ID and TEAMS_APP_PASSWORD and unset it")
        return
    if not (settings.teams_app_password or settings.teams_cert_pfx_file):
        findings.bad(check, "TEAMS_APP_ID is set but neither TEAMS_APP_PASSWORD nor TEAMS_CERT_PFX_FILE: make a client "
                          "secret (Azure portal → your Azure Bot → Configuration → Manage Password)")
        return
    error = _teams_token_error(settings, provider_factory)
    if error is None:
        tenant = settings.teams_tenant_id or "multi-tenant"
        findings.ok(check, f"Microsoft Entra gave the app a token for the Bot Connector (tenant {tenant})")
    else:
        findings.bad(check, error)


def _teams_token_error(settings, provider_factory) -> str | None:
    """Acquire the bot's token for the Bot Connector as the Teams adapter does; None when it works."""
    from adapters.teams.auth import (
        CONNECTOR_RESOURCE,
        CONNECTOR_SCOPES,
        SERVICE_CONNECTION,
        auth_configuration,
        connection_manager,
    )

    outcome: dict = {}

    def acquire() -> None:
        try:
            connections = connection_manager(auth_configuration(settings), provider_factory)
            provider = connections.get_connection(SERVICE_CONNECTION)
            token = asyncio.run(provider.get_access_token(CONNECTOR_RESOURCE, CONNECTOR_SCOPES))
            outcome["token"] = bool(token)
        except Exception as exc:  # noqa: BLE001
            outcome["error"] = exc

    quiet = [logging.getLogger(name) for name in ("microsoft_agents", "msal")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:  # the SDK logs MSAL's whole answer at ERROR: the one line below says it
        logger.setLevel(logging.CRITICAL + 1)
    try:
        worker = threading.Thread(target=acquire, daemon=True)  # MSAL blocks: never wait on it forever
        worker.start()
        worker.join(CHAT_TIMEOUT_S)
    finally:
        for logger, level in zip(quiet, levels):
            logger.setLevel(level)
    if worker.is_alive():
        return f"no answer from Microsoft Entra in {CHAT_TIMEOUT_S} s: check this host's network"
    if "error" not in outcome:
        return None if outcome.get("token") else "Microsoft Entra gave no token"
    text = str(outcome["error"])
    code = re.search(r"AADSTS\d+", text)
    kind = re.search(r"'error':\s*'([a-z_]+)'", text)
    if code and code.group(0) in ("AADSTS7000215", "AADSTS7000222") or (kind and kind.group(1) == "invalid_client"):
        return ("Microsoft Entra refused the app's credential (the client secret is wrong or expired): make a new one "
                "(Azure portal → your Azure Bot → Configuration → Manage Password) and set TEAMS_APP_PASSWORD")
    if code and code.group(0) in ("AADSTS700016",):
        return "Microsoft Entra does not know TEAMS_APP_ID in this tenant: check TEAMS_APP_ID and TEAMS_TENANT_ID"
    if code and code.group(0) in ("AADSTS90002", "AADSTS900023"):
        return "Microsoft Entra does not know TEAMS_TENANT_ID: copy the App Tenant ID from the Azure Bot's Configuration"
    what = code.group(0) if code else (kind.group(1) if kind else type(outcome["error"]).__name__)
    return f"could not get a token from Microsoft Entra ({what}): check TEAMS_APP_ID, TEAMS_APP_PASSWORD, TEAMS_TENANT_ID"
