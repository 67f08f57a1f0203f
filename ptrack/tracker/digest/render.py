"""The digest as plain text, CSV rows, JSON and an HTML email body, pure.

The HTML is for mail clients: inline CSS only (no <style> blocks, which Outlook and Gmail mangle), layout by
tables, the charts as inline SVG, and nothing fetched from elsewhere (no images, fonts or scripts). Every value
is escaped. Messages carry case references and initials, never names or narrative (docs/delivery.md)."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ptrack.tracker.digest.build import Digest, DigestItem, TeamDigest, WorkerDigest

LinkFor = Callable[[str], str]
CSV_COLUMNS = ("team", "worker", "bucket", "case_id", "initials", "rule_id", "due", "days")
MAX_ITEMS = 50  # per worker and bucket in a message; the counts stay complete
CHART_BARS = 10

_FONT = "font-family:Segoe UI,Helvetica,Arial,sans-serif;color:#1f2933"
_TH = "text-align:left;padding:4px 8px;border-bottom:2px solid #cbd2d9;font-size:13px"
_TD = "padding:4px 8px;border-bottom:1px solid #e4e7eb;font-size:13px"
_RED, _AMBER, _GREY = "#c81e1e", "#b7791f", "#52606d"


def days_text(item: DigestItem, overdue: bool) -> str:
    if overdue:
        return f"{item.days} day{'s' if item.days != 1 else ''} overdue"
    return "due today" if item.days == 0 else f"{item.days} day{'s' if item.days != 1 else ''} left"


def title(digest: Digest) -> str:
    missed = f", {digest.missed} missed this week" if digest.missed else ""
    return (f"Weekly digest {digest.as_of.isoformat()}: {digest.overdue} overdue{missed}, {digest.due_soon} due "
            f"by {digest.horizon_end.isoformat()}")


# -- plain text, CSV and JSON -----------------------------------------------------------------------------------


def text(digest: Digest, titles: Mapping[str, str], max_items: int = MAX_ITEMS) -> str:
    lines = [title(digest), ""]
    for team in digest.teams:
        lines.append(f"== {team.team}: {team.overdue} overdue, {team.due_soon} due in the next 14 days")
        for rule, n in team.counts_by_rule.items():
            lines.append(f"   {titles.get(rule, rule)}: {n.overdue} overdue, {n.due_soon} due soon")
        for w in team.workers:
            lines.append(f"-- {w.worker}: {len(w.overdue)} overdue, {len(w.due_soon)} due soon")
            for bucket, items, overdue in (("overdue", w.overdue, True), ("missed", w.missed, True),
                                           ("due soon", w.due_soon, False)):
                for i in items[:max_items]:
                    lines.append(f"   [{bucket}] {i.case_id} ({i.initials}) {titles.get(i.rule_id, i.rule_id)}, "
                                 f"due {i.due:%a %d %b %Y}, {days_text(i, overdue)}")
                if len(items) > max_items:
                    lines.append(f"   ... and {len(items) - max_items} more {bucket}")
        lines.append("")
    if not digest.teams:
        lines.append("Nothing overdue and nothing due in the next 14 days.")
    return "\n".join(lines).rstrip() + "\n"


def csv_rows(digest: Digest) -> Iterator[tuple[object, ...]]:
    for team in digest.teams:
        for w in team.workers:
            for bucket, items in (("overdue", w.overdue), ("missed", w.missed), ("due_soon", w.due_soon)):
                for i in items:
                    yield team.team, w.worker, bucket, i.case_id, i.initials, i.rule_id, i.due.isoformat(), i.days


def _items(items: Sequence[DigestItem]) -> list[dict[str, Any]]:
    return [{"case_id": i.case_id, "initials": i.initials, "rule_id": i.rule_id, "due": i.due.isoformat(),
             "days": i.days} for i in items]


def _counts(counts: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    return {rule: {"overdue": n.overdue, "due_soon": n.due_soon} for rule, n in counts.items()}


def as_json(digest: Digest) -> dict[str, Any]:
    return {
        "as_of": digest.as_of.isoformat(), "horizon_end": digest.horizon_end.isoformat(),
        "overdue": digest.overdue, "due_soon": digest.due_soon, "missed": digest.missed,
        "breaches": digest.breaches, "counts_by_rule": _counts(digest.counts_by_rule),
        "teams": [{
            "team": t.team, "managers": list(t.managers), "overdue": t.overdue, "due_soon": t.due_soon,
            "missed": t.missed,
            "counts_by_rule": _counts(t.counts_by_rule),
            "workers": [{"worker": w.worker, "overdue": _items(w.overdue), "due_soon": _items(w.due_soon),
                         "missed": _items(w.missed),
                         "counts_by_rule": _counts(w.counts_by_rule)} for w in t.workers],
        } for t in digest.teams],
    }


# -- HTML email -------------------------------------------------------------------------------------------------


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def bar_chart(label: str, values: Mapping[str, int], colour: str = _RED, bars: int = CHART_BARS) -> str:
    """A horizontal bar chart as inline SVG (largest first; the rest folded into "others")."""
    items = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(items) > bars:
        items = [*items[:bars - 1], ("others", sum(v for _, v in items[bars - 1:]))]
    if not items:
        return ""
    peak = max(v for _, v in items) or 1
    row_h, label_w, bar_w = 22, 260, 300
    height = row_h * len(items) + 8
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 60}" height="{height}" '
             f'role="img" aria-label="{_e(label)}" style="display:block">']
    for n, (name, value) in enumerate(items):
        y = 4 + n * row_h
        width = max(1, round(bar_w * value / peak))
        short = name if len(name) <= 38 else name[:37] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12" '
                     f'font-family="Helvetica,Arial,sans-serif" fill="#1f2933">{_e(short)}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{width}" height="{row_h - 8}" fill="{colour}"/>'
                     f'<text x="{label_w + width + 6}" y="{y + 15}" font-size="12" '
                     f'font-family="Helvetica,Arial,sans-serif" fill="#1f2933">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], colours: Sequence[str] = (),
           hrefs: Sequence[str] = ()) -> str:
    """A table; `hrefs[i]`, when given and not empty, makes row i's first cell a link (the case's deep link)."""
    head = "".join(f'<th style="{_TH}">{_e(h)}</th>' for h in header)
    body = []
    for i, row in enumerate(rows):
        href = hrefs[i] if i < len(hrefs) else ""
        cells = "".join(
            f'<td style="{_TD}{";color:" + colours[n] if n < len(colours) and colours[n] else ""}">'
            + (f'<a href="{_e(href)}" style="color:#1a56db">{_e(v)}</a>' if n == 0 and href else _e(v)) + "</td>"
            for n, v in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return (f'<table role="presentation" cellspacing="0" cellpadding="0" style="border-collapse:collapse;'
            f'margin:4px 0 12px 0">{"<tr>" + head + "</tr>"}{"".join(body)}</table>')


def _worker_html(w: WorkerDigest, titles: Mapping[str, str], max_items: int, link: LinkFor) -> str:
    parts = [f'<h3 style="font-size:15px;margin:14px 0 4px 0">{_e(w.worker)}: {len(w.overdue)} overdue, '
             f'{len(w.due_soon)} due in the next 14 days</h3>']
    for label, items, overdue, colour in (("Overdue, oldest first", w.overdue, True, _RED),
                                          ("Due in the next 14 days", w.due_soon, False, _AMBER)):
        if not items:
            continue
        rows = [(i.case_id, i.initials, titles.get(i.rule_id, i.rule_id), f"{i.due:%a %d %b %Y}",
                 days_text(i, overdue)) for i in items[:max_items]]
        parts.append(f'<p style="margin:6px 0 2px 0;font-size:13px;font-weight:bold">{_e(label)}</p>')
        hrefs = [link(i.case_id) for i in items[:max_items]]
        parts.append(_table(("Case", "Initials", "What", "Due", "Days"), rows, ("", "", "", "", colour), hrefs))
        if len(items) > max_items:
            parts.append(f'<p style="font-size:12px;color:{_GREY}">… and {len(items) - max_items} more '
                         f'(see <code>ptrack deadlines --worker {_e(w.worker)}</code>)</p>')
    return "".join(parts)


def _team_html(team: TeamDigest, titles: Mapping[str, str], max_items: int, link: LinkFor) -> str:
    counts = [(titles.get(r, r), n.overdue, n.due_soon) for r, n in team.counts_by_rule.items()]
    workers = [(w.worker, len(w.overdue), len(w.due_soon)) for w in team.workers]
    return "".join([
        f'<h2 style="font-size:18px;margin:24px 0 4px 0;border-bottom:1px solid #cbd2d9">{_e(team.team)}: '
        f'<span style="color:{_RED}">{team.overdue} overdue</span>, {team.due_soon} due in the next 14 days</h2>',
        _table(("Worker", "Overdue", "Due in 14 days"), workers, ("", _RED, _AMBER)),
        _table(("Rule", "Overdue", "Due in 14 days"), counts, ("", _RED, _AMBER)),
        *(_worker_html(w, titles, max_items, link) for w in team.workers),
    ])


def _no_link(case_id: str) -> str:
    return ""


def as_html(digest: Digest, titles: Mapping[str, str], authority: str = "", max_items: int = MAX_ITEMS,
            link: LinkFor = _no_link) -> str:
    """The digest as an HTML email; `link(case_id)` is the case's deep link (config `deep_link`), which makes
    each case reference a link."""
    by_rule = {titles.get(r, r): n.overdue for r, n in digest.counts_by_rule.items() if n.overdue}
    charts = ""
    if by_rule:
        heading = '<p style="margin:12px 0 2px 0;font-weight:bold">{}</p>'
        charts = (heading.format("Overdue by rule") + bar_chart("Overdue by rule", by_rule)
                  + heading.format("Overdue by worker")
                  + bar_chart("Overdue by worker", digest.overdue_by_worker(), _AMBER))
    body = "".join(_team_html(t, titles, max_items, link) for t in digest.teams) or \
        '<p style="font-size:14px">Nothing overdue and nothing due in the next 14 days.</p>'
    who = f"{_e(authority)} · " if authority else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<title>{_e(title(digest))}</title></head>'
        f'<body style="margin:0;padding:16px;background:#ffffff;{_FONT}">'
        f'<h1 style="font-size:22px;margin:0 0 4px 0">Weekly digest: {digest.overdue} overdue, '
        f'{digest.due_soon} due in the next 14 days</h1>'
        f'<p style="margin:0 0 8px 0;color:{_GREY};font-size:13px">{who}as of {digest.as_of:%a %d %b %Y}; '
        f'due soon = due by {digest.horizon_end:%a %d %b %Y}</p>'
        f'{charts}{body}'
        f'<p style="margin-top:24px;font-size:11px;color:{_GREY}">Sent by ptrack. Case references and initials '
        f'only; open the case system for details.</p></body></html>'
    )
