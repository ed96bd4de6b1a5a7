"""Chat commands, written once: what a person typed in, a platform-neutral Reply out.

`run_command(core, caller, line, phrases)` is all an adapter calls; `help_lines(phrases)`
comes from the same table, so help cannot drift from what the commands do.
"""

from chatbot.commands.registry import COMMANDS, Caller, help_lines, run_command

__all__ = ["COMMANDS", "Caller", "help_lines", "run_command"]
