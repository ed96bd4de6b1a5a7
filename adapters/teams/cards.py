"""Adaptive Cards (version 1.5, the highest Teams renders) for the core's views.

The lead card's controls are drawn from the core's one list of actions (CARD_ACTIONS), only
those the card offers now, each as it says: its row, style, confirmation, prompt, placeholder
and submit button map to Adaptive Card elements here. Every control is an `Action.Execute`
(Universal Actions: an invoke named `adaptiveCard/action`) whose verb names the action and whose
data carries the lead:

- verb ``lead:<act>`` (``lead:claim``, ``lead:call``, ...), data ``{"lead": 42}``;
- what an action asks for is an input inside an `Action.ShowCard` under the button: a choice
  (a call's outcome, the rep to hand it to) or text (a note, why it was lost), with the id
  ``<act>_detail``; Teams sends the inputs' values in the invoke's data. An action that
  confirms first (Won, Release) shows its question there instead.

Every text from the core's views is shown as typed: `words.literal` in TextBlocks and facts,
`words.literal_plain` in labels, choices and the notification summary.
"""

from __future__ import annotations

from urllib.parse import quote

from adapters.teams.words import PHRASES, literal, literal_plain
from chatbot.inbound import CARD_ACTIONS, MAX_TEXT, TAKE_ACTION, Act, CardAction, Row, Style
from chatbot.messaging.views import LeadCard, Notice, Reply

VERSION = "1.5"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
VERB_PREFIX = "lead:"
MAX_TEXT_BLOCK = 2000
MAX_LEAD_ID_DIGITS = 9
STYLES = {Style.POSITIVE: "positive", Style.DANGER: "destructive"}
ROWS = {Row.PRIMARY: "lead_actions", Row.SECONDARY: "lead_outcome"}  # ActionSet ids, in the order drawn


def clip(text: str, limit: int = MAX_TEXT_BLOCK) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def block(text: str, **style) -> dict:
    return {"type": "TextBlock", "text": clip(text), "wrap": True, **style}


def card(body: list[dict], actions: list[dict] | None = None) -> dict:
    made = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}
    if actions:
        made["actions"] = actions
    return made


def attachment(content: dict) -> dict:
    return {"contentType": CONTENT_TYPE, "content": content}


# --- the lead card ----------------------------------------------------------------------------


def verb(act: Act | str) -> str:
    return f"{VERB_PREFIX}{act}"


def act_of(verb_name: str | None) -> Act | None:
    """The act a verb names ('lead:call' -> Act.CALL), or None when it names none of ours."""
    if not isinstance(verb_name, str) or not verb_name.startswith(VERB_PREFIX):
        return None
    try:
        return Act(verb_name[len(VERB_PREFIX):])
    except ValueError:
        return None


def detail_id(act: Act) -> str:
    return f"{act.value}_detail"


def read_lead(data: object) -> int | None:
    """The lead id an action's data carries, or None when it is not one this app wrote."""
    value = data.get("lead") if isinstance(data, dict) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 10 ** MAX_LEAD_ID_DIGITS else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= MAX_LEAD_ID_DIGITS:
        return int(value) or None
    return None


def execute(title: str, act: Act, lead_id: int, style: str | None = None) -> dict:
    made = {"type": "Action.Execute", "title": title, "verb": verb(act), "data": {"lead": lead_id}}
    if style:
        made["style"] = style
    return made


def _filled(text: str, card_: LeadCard) -> str:
    """A core action's text with the customer's name and the lead's number put in (not escaped)."""
    return text.format(name=clip(card_.customer_name, 80), lead_id=card_.lead_id)


def _shown(action: CardAction, card_: LeadCard, body: list[dict]) -> dict:
    """An action that asks first: a card under its button with `body`, and the button that runs it."""
    submit = execute(action.submit or action.label, action.act, card_.lead_id, STYLES.get(action.style))
    return {"type": "Action.ShowCard", "title": action.label, "card": card(body, [submit])}


def _input(action: CardAction, card_: LeadCard, made: dict) -> dict:
    """The input for what an action asks: its id, label, placeholder and what an empty one says."""
    made = {"id": detail_id(action.act), **made, "label": literal_plain(_filled(action.prompt or action.label, card_))}
    if action.placeholder:
        made["placeholder"] = literal_plain(action.placeholder)
    if action.missing:
        made.update(isRequired=True, errorMessage=literal_plain(action.missing))
    return made


def control(action: CardAction, card_: LeadCard) -> dict | None:
    """One Adaptive Card action for one core action on this card, or None when it does not apply."""
    if action.act not in card_.offers:
        return None
    if action.choices:
        return _shown(action, card_, [_input(action, card_, {
            "type": "Input.ChoiceSet", "style": "expanded",
            "choices": [{"title": literal_plain(c), "value": c} for c in action.choices]})])
    if action.asks == "rep":
        choices = [{"title": clip(literal_plain(rep_name or user_id), 100), "value": user_id} for user_id, rep_name in card_.reps
                   if user_id]
        if not choices:
            return None
        return _shown(action, card_, [_input(action, card_, {"type": "Input.ChoiceSet", "choices": choices[:100]})])
    if action.asks:
        return _shown(action, card_, [_input(action, card_, {"type": "Input.Text", "maxLength": MAX_TEXT,
                                                              "isMultiline": action.asks == "note"})])
    if action.confirm:
        return _shown(action, card_, [block(literal(action.heading or action.label), weight="Bolder"),
                                      block(literal(_filled(action.confirm, card_)))])
    return execute(action.label, action.act, card_.lead_id, STYLES.get(action.style))


def card_actions(card_: LeadCard) -> list[dict]:
    """The open card's controls in the core's order, each in the row it names."""
    if not card_.is_open:
        return []
    rows: dict[Row, list[dict]] = {row: [] for row in ROWS}
    for action in CARD_ACTIONS:
        made = control(action, card_)
        if made is not None:
            rows[action.row].append(made)
    return [{"type": "ActionSet", "id": ROWS[row], "actions": made} for row, made in rows.items() if made]


def lead_card(card_: LeadCard) -> dict:
    facts = [{"title": "Customer", "value": literal(card_.customer_name)},
             {"title": "Vehicle", "value": literal(card_.vehicle)}]
    if card_.phone:
        facts.append({"title": "Phone", "value": f"[{literal(card_.phone_display or card_.phone)}](tel:{card_.phone})"})
    if card_.email:
        facts.append({"title": "E-mail", "value": f"[{literal(card_.email)}](mailto:{quote(card_.email, safe='@+')})"})
    facts += [{"title": "Source", "value": literal(card_.source)}, {"title": "Asked", "value": literal(card_.asked)}]
    body: list[dict] = [block(literal(card_.title), size="Medium", weight="Bolder", id="title"),
                        {"type": "FactSet", "facts": facts}]
    if card_.phone:
        body.append({"type": "ActionSet", "id": "reach", "actions": [
            {"type": "Action.OpenUrl", "title": f"Call {card_.phone_display or card_.phone}",
             "url": f"tel:{card_.phone}"}]})
    if card_.returning:
        body.append(block(literal(card_.returning), color="Accent"))
    if card_.comments:
        body.append(block(literal(card_.comments), isSubtle=True))
    if card_.closed or not card_.is_open:
        owner = f" · {literal(card_.owner_name)}" if card_.owner_name else ""
        body.append(block(f"**{literal(card_.closed or card_.status)}**{owner}", id="status"))
        body.append(block(literal(" · ".join(card_.facts)), isSubtle=True))
        return card(body)
    body.append(block(literal(card_.playbook), isSubtle=True))
    facts_line = literal(" · ".join(card_.facts))
    if card_.owner_name:
        body.append(block(f"**Owner:** {literal(card_.owner_name)} · {facts_line}", id="status"))
    else:
        body.append(block(f"**Unclaimed.** {literal(PHRASES.claim_card)} · {facts_line}", id="status"))
    if card_.due:
        body.append(block(f"**{literal(card_.due.text)}**", color="Attention" if card_.due.overdue else "Default",
                          id="due"))
    body.extend(card_actions(card_))
    return card(body)


def card_summary(card_: LeadCard) -> str:
    """The notification text: who, what, and where the lead stands."""
    state = card_.closed or (f"{card_.owner_name} owns it" if card_.owner_name else "unclaimed")
    return clip(literal_plain(f"{card_.title} · {card_.vehicle} ({card_.source}) · {state}"), 1000)


# --- notices and replies ----------------------------------------------------------------------


def notice_text(notice: Notice) -> str:
    return " ".join(part for part in (notice.text, PHRASES.hint(notice.hint)) if part)


def notice_card(notice: Notice) -> dict | None:
    """The card under an escalation notice that offers "Take it" (None: it offers nothing)."""
    if not notice.take or notice.lead_id is None:
        return None
    return card([block(literal(TAKE_ACTION.explains), isSubtle=True)],
                [execute(TAKE_ACTION.label, TAKE_ACTION.act, notice.lead_id, STYLES.get(TAKE_ACTION.style))])


def reply_card(reply: Reply) -> dict:
    """A command's answer: its lines, then a table as one line per row (readable on a phone)."""
    body = []
    for n, line in enumerate(reply.lines):
        style = {"color": "Attention"} if reply.refused and n == 0 else {}
        if line.startswith("  "):
            style["spacing"] = "None"
        body.append(block(literal(line.strip()) or " ", **style))
    for table in reply.all_tables:  # a report's sections: title, one line per row (with its commands), more
        if table.title:
            body.append(block(f"**{literal(table.title)}**"))
        for n, row in enumerate(table.rows):
            acts = table.actions[n] if n < len(table.actions) else ()
            said = " · ".join(row) + (" · " + " · ".join(act.command for act in acts) if acts else "")
            body.append(block("• " + literal(said), spacing="None"))
        if table.more:
            body.append(block(literal(table.more), isSubtle=True))
    return card(body or [block(" ")])


def text_card(text: str) -> dict:
    return card([block(literal(line)) for line in text.splitlines() if line.strip()] or [block(" ")])
