"""A lead's standing under its team's policy, below everything that acts on leads: who may do
what to it (rules.py) and its windows, ladder and `due_at` (deadlines.py). Messaging, team,
intake and escalation read these; none of them is imported here."""
