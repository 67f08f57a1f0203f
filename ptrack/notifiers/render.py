"""What a message says, for every channel, in one place: the subject, plain text (folder, email, fallbacks),
HTML (email), Slack Block Kit and the Teams Adaptive Card (1.4) are all built here from one `Message`.

Each item shows the case reference, initials, rule, the legal due date and, when it differs, the last working
day ("due Sun 06 Dec 2026; last working day Fri 04 Dec 2026"), the days left or overdue (working days when the
rule counts working days, else "calendar days", said explicitly), the allocated worker in escalations, and the
deep link. The council (`local_authority`) is named in every message; a cover message says "Covering for …"
once. `Message.extra` is never shown, so nothing outside these facts (a name, a narrative) can reach a channel
through it. Text from data (case ids, initials) is escaped for each format: HTML, Slack mrkdwn, Teams Markdown.
"""

from __future__ import annotations

import html
import re
from typing import Any

from ptrack.notifiers.base import Message, MessageItem

TITLES = {
    "reminder": "Coming up",
    "due_today": "Due today",
    "overdue": "Overdue",
    "escalation_manager": "Escalation: overdue in your team",
    "escalation_iro": "For the IRO: overdue",
}
ESCALATIONS = frozenset({"escalation_manager", "escalation_iro"})
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_MAX_ITEMS = 25  # Teams caps a card near 28 KB; a longer message says how many more there are
SLACK_MAX_ITEMS = 20  # Block Kit allows 50 blocks a message; two per item plus the header


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def days_phrase(item: MessageItem) -> str:
    """`3 working days left`, `4 calendar days left`, `due today`, `last working day today`, `1 working day
    overdue`: working days when the rule counts them, else calendar days, said explicitly."""
    if item.days == 0:
        return "due today"
    w = item.working_days
    if item.days > 0:
        if w is None:
            return f"{_plural(item.days, 'calendar day')} left"
        return f"{_plural(w, 'working day')} left" if w > 0 else "last working day today"
    if w is not None and w < 0:
        return f"{_plural(-w, 'working day')} overdue"
    return f"{_plural(-item.days, 'calendar day')} overdue"


def due_phrase(item: MessageItem) -> str:
    """`due Sun 06 Dec 2026; last working day Fri 04 Dec 2026` (the second part only when it differs)."""
    text = f"due {item.due:%a %d %b %Y}"
    if item.last_working_day is not None and item.last_working_day != item.due:
        text += f"; last working day {item.last_working_day:%a %d %b %Y}"
    return text


def facts(item: MessageItem, kind: str) -> list[tuple[str, str]]:
    """The labelled facts of one item, in the order every channel shows them."""
    out = [("Case", item.case_id), ("Initials", item.initials), ("Rule", item.rule_title or item.rule_id),
           ("Due", f"{item.due:%a %d %b %Y}")]
    if item.last_working_day is not None and item.last_working_day != item.due:
        out.append(("Last working day", f"{item.last_working_day:%a %d %b %Y}"))
    out.append(("Days", days_phrase(item)))
    if kind in ESCALATIONS:
        out.append(("Worker", item.worker or "(no worker allocated)"))
    return out


def title(message: Message) -> str:
    return TITLES.get(message.kind, message.kind.replace("_", " ").capitalize())


def subject(message: Message) -> str:
    if message.subject:
        return message.subject
    where = f" · {message.council}" if message.council else ""
    return f"ptrack{where}: {title(message)} ({_plural(len(message.items), 'item')})"


def item_line(item: MessageItem, kind: str) -> str:
    line = f"- {item.case_id} ({item.initials}): {item.rule_title or item.rule_id}, {due_phrase(item)}, " \
           f"{days_phrase(item)}"
    if kind in ESCALATIONS:
        line += f"; worker {item.worker or '(no worker allocated)'}"
    return f"{line}\n  {item.link}" if item.link else line


def lead(message: Message) -> list[str]:
    """The opening lines: the council, "Covering for …" (once), then the message's own text or its title."""
    lines = [message.council] if message.council else []
    if message.cover_for:
        lines.append(f"Covering for {message.cover_for}.")
    if message.text.strip():
        lines.append(message.text.strip())
    elif message.items:
        lines.append(f"{title(message)}: {_plural(len(message.items), 'item')}.")
    return lines


def plain_text(message: Message) -> str:
    lines = lead(message)
    lines.extend(item_line(item, message.kind) for item in message.items)
    lines.extend(f"{label}: {url}" for label, url in message.links)
    return "\n".join(lines) + "\n"


# -- HTML (email) -------------------------------------------------------------------------------------------------


def html_body(message: Message) -> str:
    """The message's own HTML when it has one (the digest), else its lead, a table of the items and links."""
    if message.html:
        return message.html
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for line in lead(message) for p in line.split("\n\n")
                         if p.strip())
    table = ""
    if message.items:
        head = "".join(f"<th>{html.escape(label)}</th>" for label, _ in facts(message.items[0], message.kind))
        rows = "".join(_row(item, message.kind) for item in message.items)
        table = f'<table border="1" cellpadding="4" cellspacing="0"><tr>{head}<th></th></tr>{rows}</table>'
    links = "".join(f'<p><a href="{html.escape(url, quote=True)}">{html.escape(label)}</a></p>'
                    for label, url in message.links)
    return f"<html><body>{paragraphs}{table}{links}</body></html>"


def _row(item: MessageItem, kind: str) -> str:
    cells = "".join(f"<td>{html.escape(value)}</td>" for _, value in facts(item, kind))
    link = f'<a href="{html.escape(item.link, quote=True)}">Open case</a>' if item.link else ""
    return f"<tr>{cells}<td>{link}</td></tr>"


# -- Slack Block Kit ----------------------------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    """Slack's three control characters (mrkdwn and plain text alike)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_blocks(message: Message) -> list[dict[str, Any]]:
    """A header, the lead, one section of labelled fields (and a link button) per item, then the links."""
    out: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": subject(message)[:150], "emoji": False}},
        {"type": "section", "text": {"type": "plain_text", "text": "\n".join(lead(message))[:3000] or " "}},
    ]
    for item in message.items[:SLACK_MAX_ITEMS]:
        section: dict[str, Any] = {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*{label}*\n{slack_escape(value)}"}
            for label, value in facts(item, message.kind)][:10]}
        if item.link:
            section["accessory"] = {"type": "button", "text": {"type": "plain_text", "text": "Open case"},
                                    "url": item.link, "action_id": f"open-{item.case_id}"[:255]}
        out.extend([{"type": "divider"}, section])
    if len(message.items) > SLACK_MAX_ITEMS:
        out.append({"type": "context", "elements": [
            {"type": "plain_text", "text": f"… and {len(message.items) - SLACK_MAX_ITEMS} more."}]})
    if message.links:
        out.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": label[:75]}, "url": url,
             "action_id": f"link-{n}"} for n, (label, url) in enumerate(message.links[:5])]})
    return out


# -- Teams Adaptive Card ------------------------------------------------------------------------------------------

_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>#~|!])")


def md_escape(text: str) -> str:
    """Text for an Adaptive Card TextBlock or fact, with every Markdown control character backslash-escaped,
    so a case id like `[click](http://…)` shows as typed and never becomes a link, emphasis or a mention."""
    return _MARKDOWN.sub(r"\\\1", text)


def envelope(message: Message, *, mention: bool = True) -> dict[str, Any]:
    """The Workflows webhook body carrying the message's Adaptive Card."""
    return {"type": "message",
            "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None,
                             "content": adaptive_card(message, mention=mention)}]}


def adaptive_card(message: Message, *, mention: bool = True) -> dict[str, Any]:
    """An Adaptive Card 1.4: title, lead, one FactSet and "Open case" action per item, then the links."""
    who = message.recipient_email if mention else ""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": md_escape(subject(message)), "weight": "Bolder", "size": "Medium",
         "wrap": True},
    ]
    intro = f"<at>{who}</at> " if who else ""
    body.append({"type": "TextBlock", "text": intro + md_escape("\n\n".join(lead(message))), "wrap": True})
    for item in message.items[:CARD_MAX_ITEMS]:
        body.append({"type": "FactSet", "separator": True,
                     "facts": [{"title": md_escape(label), "value": md_escape(value)}
                               for label, value in facts(item, message.kind)]})
        if item.link:
            body.append({"type": "ActionSet", "actions": [
                {"type": "Action.OpenUrl", "title": f"Open case {item.case_id}", "url": item.link}]})
    if len(message.items) > CARD_MAX_ITEMS:
        body.append({"type": "TextBlock", "wrap": True, "text": f"… and {len(message.items) - CARD_MAX_ITEMS} "
                     "more; see the email or the ptrack list."})
    if message.links:
        body.append({"type": "ActionSet", "actions": [
            {"type": "Action.OpenUrl", "title": label, "url": url} for label, url in message.links]})
    content: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "fallbackText": plain_text(message),
        "body": body,
        "msteams": {"width": "Full"},
    }
    if who:
        content["msteams"]["entities"] = [
            {"type": "mention", "text": f"<at>{who}</at>", "mentioned": {"id": who, "name": who}}]
    return content
