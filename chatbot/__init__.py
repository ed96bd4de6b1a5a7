"""The lead follow-up bot's core: knows nothing of Slack or Teams."""
