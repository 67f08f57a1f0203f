"""What every channel shows for a message: labelled facts per item, a plain-text and an HTML rendering.

Only the message's subject, text and items are rendered: case reference, initials, rule title, due date, days
left or overdue and the deep link. `Message.extra` is never shown, so nothing outside that list (a name, a
narrative) can reach a channel through it.
"""

from __future__ import annotations

import html

from ptrack.notifiers.base import Message, MessageItem


def days_phrase(days: int) -> str:
    """`3 days left`, `due today`, `1 day overdue`."""
    if days == 0:
        return "due today"
    plural = "" if abs(days) == 1 else "s"
    return f"{days} day{plural} left" if days > 0 else f"{-days} day{plural} overdue"


def facts(item: MessageItem) -> list[tuple[str, str]]:
    """The labelled facts of one item, in the order every channel shows them."""
    return [
        ("Case", item.case_id),
        ("Initials", item.initials),
        ("Rule", item.rule_title or item.rule_id),
        ("Due", item.due.isoformat()),
        ("Days", days_phrase(item.days)),
    ]


def item_line(item: MessageItem) -> str:
    line = f"{item.case_id} ({item.initials}): {item.rule_title or item.rule_id}, due {item.due.isoformat()}, "
    line += days_phrase(item.days)
    return f"{line}\n  {item.link}" if item.link else line


def plain_text(message: Message) -> str:
    """The message's text, then one line per item that the text does not already list."""
    lines = [message.text.rstrip()] if message.text.strip() else []
    if message.cover_for:
        lines.append(f"(Covering for {message.cover_for}.)")
    missing = [item for item in message.items if item.case_id not in message.text]
    lines.extend(item_line(item) for item in missing)
    return "\n".join(lines) + "\n"


def html_body(message: Message) -> str:
    """The message's own HTML when it has one, else the text and a table of the items."""
    if message.html:
        return message.html
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in message.text.split("\n\n") if p.strip())
    if message.cover_for:
        paragraphs += f"<p>Covering for {html.escape(message.cover_for)}.</p>"
    if not message.items:
        return f"<html><body>{paragraphs}</body></html>"
    head = "".join(f"<th>{label}</th>" for label, _ in facts(message.items[0]))
    rows = "".join(_row(item) for item in message.items)
    table = f'<table border="1" cellpadding="4" cellspacing="0"><tr>{head}<th></th></tr>{rows}</table>'
    return f"<html><body>{paragraphs}{table}</body></html>"


def _row(item: MessageItem) -> str:
    cells = "".join(f"<td>{html.escape(value)}</td>" for _, value in facts(item))
    link = f'<a href="{html.escape(item.link, quote=True)}">Open case</a>' if item.link else ""
    return f"<tr>{cells}<td>{link}</td></tr>"
