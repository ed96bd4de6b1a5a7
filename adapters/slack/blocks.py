"""Block Kit for the core's views: the lead card, notices, report answers and the Lost modal.

Context for every button travels in its `value` (the lead id, or the report to share), so an
action needs no server-side session.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from adapters.slack.words import PHRASES
from chatbot.messaging.views import LeadCard, Notice, Reply

# action_id -> touch kind the core logs
TOUCH_ACTIONS = {"touch_call": "call", "touch_text": "text", "touch_email": "email",
                 "touch_appointment": "appointment"}
WON_ACTION = "close_won"
LOST_ACTION = "close_lost"
SHARE_ACTION = "share_report"
LOST_MODAL = "lost_reason"
LOST_BLOCK, LOST_INPUT = "reason", "reason_input"
MAX_SECTION = 3000


def esc(text: str) -> str:
    """Escape what Slack's mrkdwn treats as markup in text a customer or rep typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mention(user_id: str | None, name: str | None) -> str:
    return f"<@{user_id}>" if user_id else esc(name or "someone")


def card_text(card: LeadCard) -> str:
    """The notification / fallback text: who, what, and where the lead stands."""
    state = card.closed or (f"{card.owner_name} owns it" if card.owner_name else "unclaimed")
    return clip(f"{card.title} · {card.vehicle} ({card.source}) · {state}", 3000)


def card_blocks(card: LeadCard) -> list[Block]:
    fields = [f"*Customer*\n{esc(card.customer_name)}", f"*Vehicle*\n{esc(card.vehicle)}"]
    if card.phone:
        fields.append(f"*Phone*\n<tel:{card.phone}|{esc(card.phone_display or card.phone)}>")
    if card.email:
        fields.append(f"*E-mail*\n<mailto:{card.email}|{esc(card.email)}>")
    fields.append(f"*Source*\n{esc(card.source)}")
    fields.append(f"*Asked*\n{esc(card.asked)}")
    blocks: list[Block] = [
        HeaderBlock(text=clip(card.title, 150)),
        SectionBlock(fields=[MarkdownTextObject(text=clip(f, 2000)) for f in fields]),
    ]
    if card.returning:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f":repeat: {esc(card.returning)}")]))
    if card.comments:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip("> " + esc(card.comments).replace("\n", "\n> "),
                                                                     MAX_SECTION))))
    if card.closed:
        blocks.append(SectionBlock(text=MarkdownTextObject(
            text=clip(f"*{esc(card.closed)}*" + (f" · {mention(card.owner_user_id, card.owner_name)}"
                                                   if card.owner_name else ""), MAX_SECTION))))
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=esc(" · ".join(card.facts)))]))
        return blocks
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f":bulb: {esc(card.playbook)}")]))
    if card.owner_name:
        owner = f"*Owner:* {mention(card.owner_user_id, card.owner_name)} · " + esc(" · ".join(card.facts))
    else:
        owner = "*Unclaimed.* React to this message to claim it. · " + esc(" · ".join(card.facts))
    blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(owner, MAX_SECTION))))
    if card.due:
        icon = ":rotating_light:" if card.due.overdue else ":alarm_clock:"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"{icon} *{esc(card.due.text)}*")))
    value = str(card.lead_id)
    blocks.append(ActionsBlock(block_id="lead_actions", elements=[
        ButtonElement(text=":telephone_receiver: Call", action_id="touch_call", value=value, style="primary"),
        ButtonElement(text=":speech_balloon: Text", action_id="touch_text", value=value),
        ButtonElement(text=":email: E-mail", action_id="touch_email", value=value),
        ButtonElement(text=":calendar: Appointment", action_id="touch_appointment", value=value),
        ButtonElement(text="Won", action_id=WON_ACTION, value=value),
        ButtonElement(text="Lost", action_id=LOST_ACTION, value=value, style="danger"),
    ]))
    return blocks


def render_card(card: LeadCard) -> dict:
    """Arguments for chat.postMessage / chat.update."""
    return {"text": card_text(card), "blocks": [b.to_dict() for b in card_blocks(card)]}


def notice_text(notice: Notice) -> str:
    text = " ".join(part for part in (notice.text, PHRASES.hint(notice.hint)) if part)
    return (f"<@{notice.mention}> " if notice.mention else "") + esc(text)


def render_notice(notice: Notice) -> dict:
    return {"text": clip(notice_text(notice), 40_000)}


def render(view: object) -> dict:
    if isinstance(view, LeadCard):
        return render_card(view)
    if isinstance(view, Notice):
        return render_notice(view)
    raise TypeError(f"Slack cannot show a {type(view).__name__}")


def reply_message(reply: Reply) -> dict:
    """A command's answer: its lines, a table as one line per row, and a Share button for reports."""
    lines = [esc(line) for line in reply.lines]
    if reply.table is not None:
        lines += ["• " + esc(" · ".join(row)) for row in reply.table.rows]
    text = clip("\n".join(lines) or " ", MAX_SECTION)
    if reply.refused or not reply.share:
        return {"text": text}
    return {"text": text, "blocks": [
        SectionBlock(text=MarkdownTextObject(text=text)).to_dict(),
        ActionsBlock(elements=[ButtonElement(text="Share in channel", action_id=SHARE_ACTION,
                                             value=reply.share[:2000])]).to_dict(),
    ]}


def lost_modal(lead_id: int, customer_name: str) -> dict:
    """Asks why a lead was lost; the lead id rides in private_metadata."""
    return View(
        type="modal", callback_id=LOST_MODAL, private_metadata=str(lead_id),
        title="Close lead as lost", submit="Close as lost", close="Cancel",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"Why was *{esc(customer_name)}* (lead #{lead_id}) lost?")),
            InputBlock(block_id=LOST_BLOCK, label="Reason",
                       element=PlainTextInputElement(action_id=LOST_INPUT, max_length=500,
                                                     placeholder="bought elsewhere, no answer after 5 tries, ...")),
        ],
    ).to_dict()


def home_view(reply: Reply) -> dict:
    """The App Home tab: my open leads and what is due."""
    return View(type="home", blocks=[
        HeaderBlock(text="Your leads"),
        DividerBlock(),
        SectionBlock(text=MarkdownTextObject(text=reply_message(reply)["text"])),
        ContextBlock(elements=[MarkdownTextObject(
            text="/leads · /stalled · /baseline · /oncall · /followup for help")]),
    ]).to_dict()
