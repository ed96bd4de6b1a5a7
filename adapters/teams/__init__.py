"""Microsoft Teams: the lead card as an Adaptive Card, claim by reaction or the Claim button,
the card's actions, commands by @mention or in a personal chat, proactive posts.

Built on the Microsoft 365 Agents SDK (microsoft-agents-*): its CloudAdapter and JWT
validation serve /api/messages on the project's one web app; its ConnectorClient posts and
updates messages. Like adapters/slack/, it only translates: every command, card action and
rule is the core's.
"""
