"""deploy/ holds what a Debian VM needs, and each file is checked by the tool that runs it: the
systemd units by `systemd-analyze verify`, the Caddyfile by `caddy validate`, install.sh and
chatbot-admin by `bash -n` (and shellcheck where it is installed). Where systemd-analyze or caddy
is missing the check is skipped, saying so, unless REQUIRE_DEPLOY_TOOLS=1 (set by .ci/run), where
it fails."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from entrypoints import config

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
INSTALLED_CHATBOT = "/opt/chatbot/current/bin/chatbot"


def tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed here (apt-get install -y {package})"
        if os.environ.get("REQUIRE_DEPLOY_TOOLS") == "1":
            pytest.fail(message + "; REQUIRE_DEPLOY_TOOLS=1 makes this check mandatory")
        pytest.skip(message)
    return path


def directives(unit: str) -> dict[str, list[str]]:
    """NAME -> its values in the unit file, in order (systemd allows a name more than once)."""
    found: dict[str, list[str]] = {}
    for line in (DEPLOY / unit).read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            name, value = line.split("=", 1)
            found.setdefault(name.strip(), []).append(value.strip())
    return found


def env_example() -> dict[str, str]:
    lines = (DEPLOY / "chatbot.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


# ---------------------------------------------------------------- systemd units


def test_the_units_pass_systemd_analyze_verify_with_nothing_to_say(tmp_path):
    """Verified as installed, but with this checkout's `chatbot` where the release's will be
    (verify checks that the program exists)."""
    analyze = tool("systemd-analyze", "systemd")
    chatbot = Path(sys.executable).parent / "chatbot"
    assert chatbot.exists(), "the project is installed in this interpreter's environment (pip install -e .)"
    for unit in ("chatbot-web.service", "chatbot-worker.service"):
        text = (DEPLOY / unit).read_text()
        assert text.count(INSTALLED_CHATBOT) == 1
        (tmp_path / unit).write_text(text.replace(INSTALLED_CHATBOT, str(chatbot)))
    done = subprocess.run([analyze, "verify", *sorted(str(p) for p in tmp_path.glob("*.service"))],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


@pytest.mark.parametrize(("unit", "command"), [
    ("chatbot-web.service", f"{INSTALLED_CHATBOT} web --host 127.0.0.1"),
    ("chatbot-worker.service", f"{INSTALLED_CHATBOT} worker"),
])
def test_each_unit_runs_as_the_chatbot_user_from_the_env_file_and_restarts_on_failure(unit, command):
    found = directives(unit)
    assert found["ExecStart"] == [command]
    assert (found["User"], found["Group"]) == (["chatbot"], ["chatbot"])
    assert found["EnvironmentFile"] == ["/etc/chatbot/chatbot.env"]  # no leading "-": a missing file is an error
    assert found["Restart"] == ["on-failure"] and found["RestartSec"] == ["5"]
    assert found["WorkingDirectory"] == ["/var/lib/chatbot"] and found["StateDirectory"] == ["chatbot"]
    assert found["NoNewPrivileges"] == ["yes"] and found["ProtectSystem"] == ["strict"]
    assert found["WantedBy"] == ["multi-user.target"]


def test_the_worker_has_longer_to_stop_than_a_delivery_lease_is_held():
    """SIGTERM lets the worker finish the message in hand; systemd waits longer than its 60 s lease."""
    assert int(directives("chatbot-worker.service")["TimeoutStopSec"][0]) > 60


# ---------------------------------------------------------------- Caddy


def test_the_caddyfile_is_valid_for_caddy(tmp_path):
    caddy = tool("caddy", "caddy")
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run([caddy, "validate", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Valid configuration" in done.stdout + done.stderr


def test_caddy_forwards_to_the_port_the_web_listens_on_and_keeps_metrics_off_the_internet():
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    assert re.findall(r"reverse_proxy (\S+)", caddyfile) == [f"127.0.0.1:{env_example()['PORT']}"]
    assert "@metrics path /metrics\n\trespond @metrics 404" in caddyfile
    assert not re.search(r"^\s*log\b", caddyfile, re.MULTILINE)  # no access log: OAuth codes ride in query strings


def test_caddy_lets_through_the_largest_body_the_app_takes_and_nothing_much_larger():
    from adapters.intake_api import MAX_EMAIL_BYTES, MAX_LEAD_BYTES

    (limit,) = re.findall(r"max_size (\d+)MB", (DEPLOY / "Caddyfile").read_text())
    assert MAX_LEAD_BYTES < MAX_EMAIL_BYTES < int(limit) * 1_000_000 <= 2 * MAX_EMAIL_BYTES


# ---------------------------------------------------------------- the env file and the install script


def test_the_env_example_names_only_variables_the_bot_reads_and_every_one_it_needs():
    example = env_example()
    known = {name for name, _meaning, _default in config.variables()}
    assert set(example) <= known, set(example) - known
    assert {"DATABASE_URL", "PORT", "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "TEAMS_APP_ID",
            "TEAMS_APP_PASSWORD"} <= set(example)
    assert example["DATABASE_URL"].startswith("postgresql://chatbot:")


@pytest.mark.parametrize("script", ["install.sh", "chatbot-admin"])
def test_the_scripts_are_valid_bash_and_pass_shellcheck_where_installed(script):
    path = str(DEPLOY / script)
    assert subprocess.run(["bash", "-n", path], capture_output=True, text=True).returncode == 0
    assert os.access(path, os.X_OK)
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed here (apt-get install -y shellcheck): bash -n passed")
    done = subprocess.run([shellcheck, path], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_chatbot_admin_runs_chatbot_as_the_units_do():
    """The same user, env file, state and working directories and program as chatbot-web.service."""
    admin = (DEPLOY / "chatbot-admin").read_text()
    unit = directives("chatbot-web.service")
    assert f"--uid={unit['User'][0]} --gid={unit['Group'][0]}" in admin
    assert f"--property=EnvironmentFile={unit['EnvironmentFile'][0]}" in admin
    assert f"--property=StateDirectory={unit['StateDirectory'][0]}" in admin
    assert f"--working-directory={unit['WorkingDirectory'][0]} {INSTALLED_CHATBOT} \"$@\"" in admin


def test_the_install_script_installs_from_the_lock_file_backs_up_migrates_then_restarts_web_then_worker():
    script = (DEPLOY / "install.sh").read_text()
    steps = ['"$release/bin/pip" install -q -r "$SOURCE/requirements.lock"',
             '"$release/bin/pip" install -q --no-deps "$SOURCE"',
             '"$release/bin/chatbot" backup --out',
             '"$release/bin/chatbot" db upgrade',
             'mv -T "$PREFIX/current.new" "$PREFIX/current"',
             "systemctl restart chatbot-web",
             "/healthz",
             "systemctl restart chatbot-worker",
             "chatbot\" doctor"]
    places = [script.find(step) for step in steps]
    assert -1 not in places, [s for s, p in zip(steps, places) if p == -1]
    assert places == sorted(places)


# ---------------------------------------------------------------- docs/DEPLOY.md


def test_deploy_md_names_only_files_that_exist_and_the_readme_points_to_it():
    page = (ROOT / "docs" / "DEPLOY.md").read_text()
    named = set(re.findall(r"deploy/[\w.-]+", page))
    assert named == {"deploy/Caddyfile", "deploy/chatbot.env.example", "deploy/install.sh", "deploy/chatbot-admin"}
    assert all((ROOT / path).is_file() for path in named)
    for unit in ("chatbot-web.service", "chatbot-worker.service"):
        assert unit in page and (DEPLOY / unit).is_file()
    readme = (ROOT / "README.md").read_text()
    assert "[docs/DEPLOY.md](docs/DEPLOY.md)" in readme.split("## Deploy", 1)[1].split("\n## ", 1)[0]
