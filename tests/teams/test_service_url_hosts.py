"""Where the bot will send its own token: an activity's serviceUrl must name one of
TEAMS_SERVICE_URL_HOSTS (or a subdomain), over https; http only to a loopback host that is
listed (a local Connector in tests, the Agents Playground in development)."""

from __future__ import annotations

import pytest

from adapters.teams.chat import host_allowed


@pytest.mark.parametrize(("url", "hosts", "allowed"), [
    ("https://smba.trafficmanager.net/amer/", ("smba.trafficmanager.net",), True),
    ("https://SMBA.TrafficManager.net/emea/b28fdbfd/", ("smba.trafficmanager.net",), True),
    ("https://x.smba.trafficmanager.net/", ("smba.trafficmanager.net",), True),
    ("https://smba.infra.gcc.teams.microsoft.com/gcc/", ("smba.trafficmanager.net",), False),
    ("https://smba.infra.gcc.teams.microsoft.com/gcc/", ("smba.infra.gcc.teams.microsoft.com",), True),
    ("https://evilsmba.trafficmanager.net/", ("smba.trafficmanager.net",), False),
    ("http://smba.trafficmanager.net/amer/", ("smba.trafficmanager.net",), False),
    ("https://smba.trafficmanager.net@attacker.example/", ("smba.trafficmanager.net",), False),
    ("http://127.0.0.1:5000/teams/", ("127.0.0.1",), True),
    ("http://localhost:56150/", ("localhost",), True),
    ("http://10.1.2.3/", ("10.1.2.3",), False),
    ("ftp://smba.trafficmanager.net/", ("smba.trafficmanager.net",), False),
])
def test_which_service_urls_the_bot_will_send_its_token_to(url, hosts, allowed):
    assert host_allowed(url, hosts) is allowed
