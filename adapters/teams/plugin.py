"""Microsoft Teams as a chat platform (adapters/platform.py): its variables, its chat in the
delivery registry, /api/messages, its doctor line and `chatbot teams-package`. The Agents SDK
is imported only when used."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adapters.platform import ChatPlatform
from adapters.teams.settings import TeamsSettings


class Teams(ChatPlatform):
    name = "teams"
    title = "Teams"
    settings = TeamsSettings
    switch = "TEAMS_APP_ID"
    how_to_configure = "TEAMS_APP_ID and TEAMS_APP_PASSWORD for Teams"
    reinstall = ("add the app to that team again (in Teams: Apps → Manage your apps → the app → Add to a team), "
                 "picking the channel for new leads; its waiting messages then go out")

    sdk_loggers = ("microsoft_agents", "msal", "aiohttp")

    def configured(self, settings: TeamsSettings) -> bool:
        return settings.enabled

    def start_problem(self, settings: TeamsSettings) -> str | None:
        """Settings that must not serve Teams (anonymous mode beside an app id, an empty allow-list)."""
        return settings.problem() if settings.enabled else None

    def not_ready(self, settings: TeamsSettings) -> str | None:
        return settings.not_ready()

    def register(self, platforms, core, settings: TeamsSettings) -> None:
        from adapters.teams.services import register_teams
        from adapters.teams.web import TeamsApp

        register_teams(platforms, TeamsApp(core, settings).services)

    def mount(self, web, core, settings: TeamsSettings) -> None:
        from adapters.teams.web import TeamsApp, mount_teams

        mount_teams(web, TeamsApp(core, settings))

    def setting_problems(self, settings: TeamsSettings) -> list[str]:
        problems = []
        try:
            ZoneInfo(settings.teams_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"TEAMS_TIMEZONE={settings.teams_timezone!r} is not a time zone: use an IANA name such "
                            f"as America/Chicago")
        if settings.teams_cert_pfx_file and not Path(settings.teams_cert_pfx_file).is_file():
            problems.append(f"TEAMS_CERT_PFX_FILE={settings.teams_cert_pfx_file!r}: no such file here")
        return problems

    def check(self, findings, probe, settings: TeamsSettings) -> None:
        from adapters.teams.doctor import check_teams

        check_teams(findings, settings, probe.options.get("teams_provider_factory"))

    def commands(self, app) -> None:
        """`chatbot teams-package`: the app package to upload in Teams."""
        import typer

        @app.command("teams-package")
        def teams_package(
            app_id: str = typer.Option(..., "--app-id", envvar="TEAMS_APP_ID",
                                       help="The bot's Microsoft Entra app id."),
            host: str = typer.Option(None, "--host",
                                     help="Your app's public host (for validDomains), e.g. bot.dealer.com."),
            out: Path = typer.Option(Path("lead-followup-teams.zip"), "--out",
                                     help="Where to write the app package."),
        ) -> None:
            """Write the Teams app package (manifest.json + icons) with your app id, to upload in Teams."""
            from adapters.console.words import printable
            from adapters.teams.package import PackageError, write_package

            try:
                written = write_package(out, app_id, host)
            except PackageError as exc:
                typer.echo(printable(str(exc)), err=True)  # it may quote the app id as typed
                raise typer.Exit(1)
            typer.echo(f"Wrote {written}: upload it in Teams (Apps > Manage your apps > Upload an app).")


TEAMS = Teams()
