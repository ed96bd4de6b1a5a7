"""The Slack app: Bolt listeners that translate Slack's events into the core's use cases."""
