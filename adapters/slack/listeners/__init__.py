"""Bolt listeners, one small function per Slack interaction, each calling one core use case."""

from __future__ import annotations

from slack_bolt import App

from adapters.slack.listeners import actions, commands, events, views


def register(app: App, services) -> None:
    for module in (events, actions, commands, views):
        module.register(app, services)


class _Recorder:
    """Stands in for a Bolt App to list what `register` binds, without building one."""

    def __init__(self) -> None:
        self.bound: dict[str, set[str]] = {"event": set(), "command": set(), "action": set(), "view": set()}

    def _binder(self, kind: str):
        def bind(name, *args, **kwargs):
            self.bound[kind].add(name)
            return lambda func: func
        return bind

    def __getattr__(self, kind: str):
        if kind in ("event", "command", "action", "view"):
            return self._binder(kind)
        raise AttributeError(kind)


def registered() -> dict[str, set[str]]:
    """What the app listens for: {'event': {...}, 'command': {...}, 'action': {...}, 'view': {...}}.

    Read from the real `register` functions, so the manifest test checks what is really bound.
    """
    recorder = _Recorder()
    register(recorder, services=None)
    return recorder.bound
