"""Block Kit for the core's views: the lead card, notices, report answers and the card's modals.

The card's controls are drawn from the core's one list of actions (chatbot.leads.actions
CARD_ACTIONS), each as it says: its row, style, confirmation, form and placeholder map to Block
Kit here; Slack adds only its icons. Context travels with each control, so an action needs no
server-side session:

- action_id ``lead:<act>`` (``lead:call``, ``lead:reassign``, ...), one per CardAction; an
  escalation notice for a colleague or manager carries ``lead:take`` ("Take it", NOTICE_ACTIONS);
- a button's value is the lead id (``"42"``); a select option's value is ``"<lead id>|<detail>"``
  (``"42|voicemail"``, ``"42|U0REP0002"``);
- an action that asks for text opens a modal with callback_id ``lead:<act>``, private_metadata
  ``"<lead id>|<channel id>"`` (the channel to answer in) and one input, block ``detail`` /
  action ``detail_input``.
"""

from __future__ import annotations

from urllib.parse import quote

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from adapters.slack.words import PHRASES, literal
from chatbot.inbound import CARD_ACTIONS, MAX_TEXT, NOTICE_ACTIONS, TAKE_ACTION, Act, CardAction, Row, Style
from chatbot.messaging.views import CardRef, LeadCard, Notice, Reply, RowAction, Table

SHARE_ACTION = "share_report"
NUDGE_ACTION = "report:nudge"  # a report row's Nudge (value: the lead id); Reassign is the card's lead:reassign
CARD_ACTION_PREFIX = "lead:"
DETAIL_BLOCK, DETAIL_INPUT = "detail", "detail_input"
SEPARATOR = "|"
MAX_SECTION = 3000
# Slack's limits (docs.slack.dev/reference/block-kit): options per select, option text and value.
MAX_OPTIONS, MAX_OPTION_TEXT, MAX_OPTION_VALUE = 100, 75, 150
MAX_LEAD_ID_DIGITS = 9  # lead ids are database integers; longer digit strings are not ours
# How Slack draws some actions: decoration only; which actions exist comes from CARD_ACTIONS.
ICONS = {Act.CALL: ":telephone_receiver:", Act.TEXT: ":speech_balloon:", Act.EMAIL: ":email:",
         Act.APPOINTMENT: ":calendar:", Act.NOTE: ":memo:", Act.WON: ":trophy:", Act.RELEASE: ":leftwards_arrow_with_hook:",
         Act.REASSIGN: ":busts_in_silhouette:"}
STYLES = {Style.POSITIVE: "primary", Style.DANGER: "danger"}
ROWS = {Row.PRIMARY: "lead_actions", Row.SECONDARY: "lead_outcome"}  # block ids, in the order drawn


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mention(user_id: str | None, name: str | None) -> str:
    return f"<@{user_id}>" if user_id else literal(name or "someone")


def card_text(card: LeadCard) -> str:
    """The notification / fallback text: who, what, and where the lead stands."""
    state = card.closed or (f"{card.owner_name} owns it" if card.owner_name else "unclaimed")
    return clip(literal(f"{card.title} · {card.vehicle} ({card.source}) · {state}"), 3000)


def card_blocks(card: LeadCard) -> list[Block]:
    fields = [f"*Customer*\n{literal(card.customer_name)}", f"*Vehicle*\n{literal(card.vehicle)}"]
    if card.phone:
        fields.append(f"*Phone*\n<tel:{card.phone}|{literal(card.phone_display or card.phone)}>")
    elif card.phone_given:  # not a number: shown as given, never a tap-to-call link
        fields.append(f"*Phone*\n:warning: {literal(card.phone_given)}")
    if card.email:
        fields.append(f"*E-mail*\n<mailto:{quote(card.email, safe='@+')}|{literal(card.email)}>")
    elif card.email_given:
        fields.append(f"*E-mail*\n:warning: {literal(card.email_given)}")
    fields.append(f"*Source*\n{literal(card.source)}")
    fields.append(f"*Asked*\n{literal(card.asked)}")
    blocks: list[Block] = [
        HeaderBlock(text=clip(card.title, 150)),
        SectionBlock(fields=[MarkdownTextObject(text=clip(f, 2000)) for f in fields]),
    ]
    if card.returning:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f":repeat: {literal(card.returning)}")]))
    if card.warnings:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=clip(":warning: " + literal(" · ".join(card.warnings)), MAX_SECTION))]))
    if card.comments:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip("> " + literal(card.comments).replace("\n", "\n> "),
                                                                     MAX_SECTION))))
    if card.closed or not card.is_open:
        blocks.append(SectionBlock(text=MarkdownTextObject(
            text=clip(f"*{literal(card.closed or card.status)}*" + (f" · {mention(card.owner_user_id, card.owner_name)}"
                                                   if card.owner_name else ""), MAX_SECTION))))
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=literal(" · ".join(card.facts)))]))
        return blocks
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f":bulb: {literal(card.playbook)}")]))
    if card.owner_name:
        owner = f"*Owner:* {mention(card.owner_user_id, card.owner_name)} · " + literal(" · ".join(card.facts))
    else:
        owner = f"*Unclaimed.* {literal(PHRASES.claim_card)} · " + literal(" · ".join(card.facts))
    blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(owner, MAX_SECTION))))
    if card.due:
        icon = ":rotating_light:" if card.due.overdue else ":alarm_clock:"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"{icon} *{literal(card.due.text)}*")))
    blocks.extend(card_actions(card))
    return blocks


# --- the card's actions ---------------------------------------------------------------------


def card_action_id(act: Act | str) -> str:
    """The action_id (and a modal's callback_id) of a card action: 'lead:call', 'lead:reassign', ..."""
    return f"{CARD_ACTION_PREFIX}{act}"


def card_action_for(action_id: str | None) -> CardAction | None:
    """The core's CardAction an action_id / callback_id names, or None when it names none."""
    if not action_id or not action_id.startswith(CARD_ACTION_PREFIX):
        return None
    wanted = action_id[len(CARD_ACTION_PREFIX):]
    return next((action for action in CARD_ACTIONS + NOTICE_ACTIONS if action.act.value == wanted), None)


def lead_value(lead_id: int, detail: str | None = None) -> str:
    """A control's value: '42', or '42|voicemail' when it carries what the action asks."""
    return str(lead_id) if detail is None else f"{lead_id}{SEPARATOR}{detail}"


def read_lead_value(value: object) -> tuple[int, str | None] | None:
    """(lead id, detail or None) from a control's value or a modal's private_metadata; None when
    it is not one this app wrote."""
    if not isinstance(value, str):
        return None
    lead, sep, detail = value.partition(SEPARATOR)
    if not (lead.isascii() and lead.isdigit() and len(lead) <= MAX_LEAD_ID_DIGITS) or int(lead) < 1:
        return None
    if sep and not detail.strip():
        return None
    return int(lead), (detail if sep else None)


def control_of(action: CardAction) -> str:
    """How Slack offers a card action: 'choices' (a select of the action's choices), 'rep' (a
    select of the team's people), 'modal' (a button opening a form for what it asks) or 'button'."""
    if action.choices:
        return "choices"
    if action.asks == "rep":
        return "rep"
    return "modal" if action.asks else "button"


def _label(action: CardAction, text: str | None = None) -> str:
    icon, text = ICONS.get(action.act), text or action.label
    return f"{icon} {text}" if icon else text


def _filled(text: str, name: str, lead_id: int, *, bold: bool = False) -> str:
    """A core action's text in mrkdwn, with the customer's name (shown as typed; bold in forms)
    and the lead's number where it says {name} and {lead_id}."""
    shown = literal(name)
    return literal(text).format(name=f"*{shown}*" if bold else shown, lead_id=lead_id)


def _option(text: str, value: str) -> Option:
    return Option(text=clip(text, MAX_OPTION_TEXT), value=value)


def _element(action: CardAction, card: LeadCard):
    """One Block Kit element for one core action on this card, or None when it does not apply."""
    if action.act not in card.offers:
        return None
    action_id, control = card_action_id(action.act), control_of(action)
    if control == "choices":
        placeholder = clip(f"{_label(action, action.placeholder)} ▾", 150)
        return StaticSelectElement(action_id=action_id, placeholder=placeholder, options=[
            _option(choice, lead_value(card.lead_id, choice)) for choice in action.choices[:MAX_OPTIONS]
            if len(lead_value(card.lead_id, choice)) <= MAX_OPTION_VALUE])
    if control == "rep":
        options = [_option(rep_name or user_id, lead_value(card.lead_id, user_id))
                   for user_id, rep_name in card.reps if user_id
                   and len(lead_value(card.lead_id, user_id)) <= MAX_OPTION_VALUE][:MAX_OPTIONS]
        if not options:
            return None  # nobody else on the team to hand it to
        return StaticSelectElement(action_id=action_id, placeholder=clip(f"{_label(action, action.placeholder)} ▾", 150),
                                   options=options)
    confirm = None
    if action.confirm:
        confirm = ConfirmObject(title=clip(action.heading or action.label, 100), deny="Cancel",
                                text=clip(_filled(action.confirm, clip(card.customer_name, 80), card.lead_id), 300),
                                confirm=clip(action.submit or action.label, 30))
    return ButtonElement(text=clip(_label(action), 75), action_id=action_id, value=lead_value(card.lead_id),
                         style=STYLES.get(action.style), confirm=confirm)


def card_actions(card: LeadCard) -> list[Block]:
    """The open card's controls, one per core CARD_ACTION that applies, in the core's order, each
    in the row it names."""
    if not card.is_open:
        return []
    rows: dict[Row, list] = {row: [] for row in ROWS}
    for action in CARD_ACTIONS:
        element = _element(action, card)
        if element is not None:
            rows[action.row].append(element)
    return [ActionsBlock(block_id=ROWS[row], elements=elements[:25]) for row, elements in rows.items() if elements]


def render_card(card: LeadCard) -> dict:
    """Arguments for chat.postMessage / chat.update."""
    return {"text": card_text(card), "blocks": [b.to_dict() for b in card_blocks(card)]}


def notice_text(notice: Notice) -> str:
    text = " ".join(part for part in (notice.text, PHRASES.hint(notice.hint)) if part)
    return (f"<@{notice.mention}> " if notice.mention else "") + literal(text)


def render_notice(notice: Notice) -> dict:
    """A notice's text; an escalation for a colleague or manager adds a "Take it" button."""
    message = {"text": clip(notice_text(notice), 40_000)}
    if notice.take and notice.lead_id is not None:
        message["blocks"] = [
            SectionBlock(text=MarkdownTextObject(text=clip(message["text"], MAX_SECTION))).to_dict(),
            ActionsBlock(block_id="notice_actions", elements=[ButtonElement(
                text=clip(TAKE_ACTION.label, 75), action_id=card_action_id(TAKE_ACTION.act),
                value=lead_value(notice.lead_id), style=STYLES.get(TAKE_ACTION.style))]).to_dict(),
        ]
    return message


def render(view: object) -> dict:
    if isinstance(view, LeadCard):
        return render_card(view)
    if isinstance(view, Notice):
        return render_notice(view)
    raise TypeError(f"Slack cannot show a {type(view).__name__}")


def card_link(card: CardRef | None) -> str | None:
    """A link to a lead's card message (Slack redirects slack.com/archives to the workspace)."""
    if card is None or not card.channel or not card.message_id:
        return None
    return f"https://slack.com/archives/{card.channel}/p{card.message_id.replace('.', '')}"


def _row_control(act: RowAction):
    if act.act == "nudge":
        return ButtonElement(text=clip(act.label, 75), action_id=NUDGE_ACTION, value=lead_value(act.lead_id))
    options = [_option(name or user_id, lead_value(act.lead_id, user_id)) for user_id, name in act.choices
               if user_id and len(lead_value(act.lead_id, user_id)) <= MAX_OPTION_VALUE][:MAX_OPTIONS]
    if not options:
        return None
    return StaticSelectElement(action_id=card_action_id(Act.REASSIGN), placeholder=clip(f"{act.label} to… ▾", 150),
                               options=options)


def _table_blocks(table: Table) -> list[Block]:
    """A report's section: its title, one section per row (linked to the lead's card) with the
    row's controls under it, and how to see more."""
    blocks: list[Block] = []
    if table.title:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(f"*{literal(table.title)}*", MAX_SECTION))))
    for n, row in enumerate(table.rows):
        link = card_link(table.cards[n] if n < len(table.cards) else None)
        first, rest = literal(row[0]), [literal(cell) for cell in row[1:]]
        text = " · ".join([f"<{link}|{first}>" if link else first, *rest])
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(text, MAX_SECTION))))
        controls = [c for c in (_row_control(a) for a in (table.actions[n] if n < len(table.actions) else ()))
                    if c is not None]
        if controls:
            lead_id = (table.actions[n][0]).lead_id
            blocks.append(ActionsBlock(block_id=f"row:{lead_id}", elements=controls))
    if table.more:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(literal(table.more), MAX_SECTION))]))
    return blocks


def reply_message(reply: Reply) -> dict:
    """A command's answer: its lines, a table as one line per row, and a Share button for reports.
    A report whose rows carry actions (/stalled) is drawn as sections: one per lead, its card
    linked, Nudge and Reassign under it."""
    lines = [literal(line) for line in reply.lines]
    for table in reply.all_tables:
        lines += [literal(line) if line in (table.title, table.more) else "• " + literal(line) for line in table.lines()]
    text = clip("\n".join(lines) or " ", MAX_SECTION)
    if reply.refused or not reply.share:
        return {"text": text}
    share = ActionsBlock(block_id="share", elements=[ButtonElement(text="Share in channel", action_id=SHARE_ACTION,
                                                                   value=reply.share[:2000])]).to_dict()
    if any(table.actions for table in reply.all_tables):
        blocks: list[Block] = []
        if reply.lines:
            blocks.append(SectionBlock(text=MarkdownTextObject(text=clip("\n".join(lines[:len(reply.lines)]),
                                                                         MAX_SECTION))))
        for table in reply.all_tables:
            blocks += _table_blocks(table)
        return {"text": text, "blocks": [b.to_dict() for b in blocks[:49]] + [share]}
    return {"text": text, "blocks": [SectionBlock(text=MarkdownTextObject(text=text)).to_dict(), share]}


def customer_of(message: dict | None) -> str | None:
    """The customer's name from a card message as Slack sends it back (its header block)."""
    blocks = (message or {}).get("blocks") or [{}]
    header = ((blocks[0] if isinstance(blocks[0], dict) else {}).get("text") or {}).get("text") or ""
    return header.split(": ", 1)[-1] or None


def action_modal(action: CardAction, lead_id: int, customer_name: str | None, channel: str | None = None) -> dict:
    """Asks what a card action needs in words (a note, the reason it was lost); the lead id (and
    the channel to answer in) ride in private_metadata, the action in callback_id."""
    prompt = _filled(action.prompt or action.label, customer_name or f"lead #{lead_id}", lead_id, bold=True)
    return View(
        type="modal", callback_id=card_action_id(action.act), private_metadata=lead_value(lead_id, channel),
        title=clip(action.heading or action.label, 24), submit=clip(action.submit or action.label, 24), close="Cancel",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=clip(prompt, MAX_SECTION))),
            InputBlock(block_id=DETAIL_BLOCK, label=clip(action.label, 2000),
                       element=PlainTextInputElement(action_id=DETAIL_INPUT, max_length=MAX_TEXT,
                                                     multiline=action.asks == "note",
                                                     placeholder=clip(action.placeholder or "", 150) or None)),
        ],
    ).to_dict()


AWAY_ACTION, BACK_ACTION = "home:away", "home:back"


def home_view(reply: Reply, said: str | None = None) -> dict:
    """The App Home tab: my open leads and what is due, and Away / Back buttons (`said`: what
    the last button press answered)."""
    blocks = [
        HeaderBlock(text="Your leads"),
        DividerBlock(),
        SectionBlock(text=MarkdownTextObject(text=reply_message(reply)["text"])),
        ActionsBlock(block_id="availability", elements=[
            ButtonElement(text="I'm away", action_id=AWAY_ACTION, value="away"),
            ButtonElement(text="I'm back", action_id=BACK_ACTION, value="back"),
        ]),
        ContextBlock(elements=[MarkdownTextObject(
            text="/leads · /stalled · /baseline · /oncall · /followup away for 3d · /followup for help")]),
    ]
    if said:
        blocks.insert(1, ContextBlock(elements=[MarkdownTextObject(text=clip(literal(said), 2000))]))
    return View(type="home", blocks=blocks).to_dict()
