#!/usr/bin/env bash
# Install a release of the bot on a Debian VM, or upgrade to it, from its lock file.
#
#   sudo deploy/install.sh          run from the release's own folder (an unpacked tag or a checkout)
#
# Each run: a new virtualenv under /opt/chatbot/releases from requirements.lock (exact versions,
# hashes checked), then, in this order (docs/DEPLOY.md, "Upgrade"): on an upgrade `chatbot backup`
# to /var/lib/chatbot/backups; `chatbot db upgrade` with the new code; /opt/chatbot/current
# switched to the new release; web restarted and healthy; worker restarted; `chatbot doctor`.
# The first run also makes the chatbot user, installs the two units and /usr/local/sbin/chatbot-admin
# (chatbot as the units run it), copies deploy/chatbot.env.example to /etc/chatbot/chatbot.env and
# stops for you to fill it in. The three newest releases are kept: going back is `ln -sfn` to one
# and two restarts.
set -euo pipefail

SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=/opt/chatbot
ENV_FILE=/etc/chatbot/chatbot.env
UNITS=(chatbot-web chatbot-worker)

say() { printf '%s\n' "$*"; }
fail() { printf '%s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "Run it as root (sudo $0): it makes a user, writes /opt/chatbot and /etc/systemd/system."
[ -f "$SOURCE/requirements.lock" ] || fail "$SOURCE has no requirements.lock: run the script from a release of the bot."
python3 -m venv --help >/dev/null 2>&1 || fail "python3 with venv is needed: apt-get install -y python3-venv"

# as the units run it: the chatbot user, the env file, /var/lib/chatbot (as deploy/chatbot-admin does)
as_chatbot() {
  systemd-run --quiet --wait --pipe --collect --uid=chatbot --gid=chatbot \
    --property=EnvironmentFile="$ENV_FILE" --property=StateDirectory=chatbot \
    --working-directory=/var/lib/chatbot "$@"
}

if ! id chatbot >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/chatbot --no-create-home --shell /usr/sbin/nologin chatbot
  say "Made the system user chatbot."
fi
if [ ! -f "$ENV_FILE" ]; then
  install -d -m 0750 -o root -g chatbot "$(dirname "$ENV_FILE")"
  install -m 0640 -o root -g chatbot "$SOURCE/deploy/chatbot.env.example" "$ENV_FILE"
  fail "Wrote $ENV_FILE from the example: fill it in (docs/DEPLOY.md, step 3), then run $0 again."
fi
for unit in "${UNITS[@]}"; do
  install -m 0644 "$SOURCE/deploy/$unit.service" /etc/systemd/system/
done
systemctl daemon-reload
install -m 0755 "$SOURCE/deploy/chatbot-admin" /usr/local/sbin/chatbot-admin

version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$SOURCE/pyproject.toml" | head -1)
release="$PREFIX/releases/${version:-unknown}-$(date -u +%Y%m%dT%H%M%SZ)"
say "Installing $SOURCE into $release ..."
install -d -m 0755 "$PREFIX/releases"
# The README's Quick start, into the release's own virtualenv (exact versions from the lock file).
python3 -m venv "$release" && "$release/bin/pip" install -q -r "$SOURCE/requirements.lock" \
  && "$release/bin/pip" install -q --no-deps "$SOURCE"

if [ -e "$PREFIX/current" ]; then  # an upgrade: a backup first, the way back if it goes wrong
  install -d -m 0700 -o chatbot -g chatbot /var/lib/chatbot/backups
  backup="/var/lib/chatbot/backups/before-$(basename "$release").dump"
  say "Backing up the database to $backup ..."
  as_chatbot "$release/bin/chatbot" backup --out "$backup"
fi

say "Migrating the database with the new release ..."
as_chatbot "$release/bin/chatbot" db upgrade

ln -sfn "$release" "$PREFIX/current.new" && mv -T "$PREFIX/current.new" "$PREFIX/current"
systemctl enable --quiet "${UNITS[@]}"
systemctl restart chatbot-web
port=$(sed -n 's/^PORT=\([0-9]*\).*/\1/p' "$ENV_FILE" | tail -1)
healthy=
for _ in $(seq 1 60); do
  if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${port:-3000}/healthz', timeout=2)" \
      2>/dev/null; then healthy=1; break; fi
  sleep 1
done
[ -n "$healthy" ] || fail "chatbot-web did not answer /healthz within 60 s: journalctl -u chatbot-web -n 50"
systemctl restart chatbot-worker
say "Running $(basename "$release"): web and worker restarted."

# keep the three newest releases (and the one running)
find "$PREFIX/releases" -mindepth 1 -maxdepth 1 -type d | sort | head -n -3 | while read -r old; do
  [ "$(readlink -f "$PREFIX/current")" = "$(readlink -f "$old")" ] || rm -rf "$old"
done

sleep 6  # a worker tick, so its heartbeat is there to check
as_chatbot "$PREFIX/current/bin/chatbot" doctor
