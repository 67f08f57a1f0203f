"""What people actually read, written to the tests' output directory (`tests/out/delivery/`, git-ignored; or
$PTRACK_TEST_OUT) and checked for the facts a reader needs to act (issue 12): the text of each message kind,
each kind's Teams Adaptive Card (validated against the Adaptive Card 1.4 JSON schema and rendered by Microsoft's
own renderer with the Teams host config in headless Chromium, screenshot kept), and the HTML digest with its
case links, rendered in Chromium and followed to a local "case system".

Every message is built by the production path: deadlines as the policy sees them (`OpenItem`) stored as the
outbox stores them (`item_fragment`, `reminder_payload`), read back as the dispatcher reads them
(`message_for`, with the calendar, on the day it is sent) and rendered by `ptrack.notifiers.render`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote
from urllib.request import urlopen

import jsonschema
import pytest

from ptrack.calendars import england_and_wales
from ptrack.notifiers.base import Message
from ptrack.notifiers.render import adaptive_card, html_body, plain_text, slack_blocks
from ptrack.tracker.config import Config, parse_config
from ptrack.tracker.digest.build import DigestDeadline, build_digest
from ptrack.tracker.digest.service import digest_message
from ptrack.tracker.disputes.ladder import Dispute, Ladder
from ptrack.tracker.disputes.service import CaseFacts, prompt_message
from ptrack.tracker.model import Case
from ptrack.tracker.outbox.messages import item_fragment, message_for, reminder_payload, text_payload
from ptrack.tracker.outbox.prerendered import Prerendered
from ptrack.tracker.policy import OpenItem
from ptrack.tracker.store.outbox_queries import Claimed
from tests.digest.test_digest_browser import chromium, decode_png

HERE = Path(__file__).resolve().parent
OUT = Path(os.environ.get("PTRACK_TEST_OUT", HERE.parent / "out")) / "delivery"
SCHEMA = json.loads((HERE / "schemas" / "adaptive-card-1.4.json").read_text())
CAL = england_and_wales(2020, 2035)
TODAY = date(2026, 11, 25)  # a Wednesday
WORKER, MANAGER, IRO = "sw@example.org", "tm@example.org", "iro@example.org"
EVIL = "[click](http://evil.example/x)"  # a case id that is Markdown


def config(link: str = "https://cases.example/child/{case_id}") -> Config:
    return parse_config(f'local_authority = "Example Council"\ndeep_link = "{link}"\n'
                        '[disputes]\nreply_to = "iro-decisions@council.example"\n')


def item(case: str, rule: str, title: str, due: date, *, lwd: date | None = None, working_days: bool = False,
         iro: bool = False) -> OpenItem:
    return OpenItem(case, f"{rule}#1", rule, title, due, "J.B.", WORKER, MANAGER, IRO, iro_relevant=iro,
                    team="Children in Care 1", last_working_day=lwd or due, working_days=working_days)


REVIEW_ON_SUNDAY = item("C1", "cla_review_second", "Second CLA review", date(2026, 12, 6), lwd=date(2026, 12, 4),
                        iro=True)
PLACEMENT_PLAN = item("C2", "placement_plan", "Placement plan", date(2026, 12, 2), working_days=True)
DUE_TODAY = item("C3", "care_plan", "Care plan", TODAY, working_days=True)
VISIT_OVERDUE = item("C4", "visit_year1", "Statutory visit (first year)", date(2026, 11, 20))
CARE_PLAN_OVERDUE = item("C5", "care_plan", "Care plan", date(2026, 11, 23), working_days=True)
REVIEW_OVERDUE = item("C6", "cla_review_first", "First CLA review", date(2026, 11, 23), working_days=True, iro=True)
HOSTILE = item(EVIL, "visit_year1", "Statutory visit (first year)", date(2026, 11, 19))


def stored(kind: str, recipient: str, payload: str, cover_for: str = "") -> Message:
    """What the dispatcher sends for an outbox row with this payload, on TODAY."""
    claimed = Claimed(1, f"artifact-{kind}", kind, recipient, cover_for, "folder", json.loads(payload), 0, "t", "")
    return message_for(claimed, TODAY, CAL)


def reminder(kind: str, recipient: str, items: list[OpenItem], cover_for: str = "") -> Message:
    cfg = config()
    fragments = sorted(item_fragment(i, cfg.link_for(i.case_id)) for i in items)
    return stored(kind, recipient, reminder_payload(fragments, "Children in Care 1", cfg.local_authority), cover_for)


def prerendered(p: Prerendered) -> Message:
    return stored(p.kind, p.recipient, text_payload(p.subject, p.text, html=p.html, team=p.team, council=p.council,
                                                    links=p.links))


def dispute_prompt(cafcass_flagged: bool, stage: int = 2, reply_to: bool = True) -> Message:
    cfg = config()
    if not reply_to:
        cfg = parse_config('local_authority = "Example Council"\n')
    ladder = Ladder(cfg.disputes, CAL)
    d = Dispute(2, "C7", IRO, "open", stage, date(2026, 11, 2), date(2026, 11, 9),
                cafcass_referred_on=date(2026, 11, 20) if cafcass_flagged else None)
    return prerendered(prompt_message(ladder.standing(d, TODAY), CaseFacts("K.L.", "Children in Care 1", IRO, WORKER),
                                      IRO, TODAY, ladder, cfg))


def digest() -> Message:
    return prerendered(digest_message(MANAGER, sample_digest(), {}, config()))


def sample_digest(ids: tuple[str, ...] = ("C1", "C2", "C3")) -> object:
    cases = {c: Case(c, "AB", None, "Children in Care 1", WORKER, MANAGER) for c in ids}
    rows = [DigestDeadline(c, "visit_year1", date(2026, 11, 10 + n), date(2026, 1, 5)) for n, c in enumerate(ids)]
    return build_digest(rows, cases, [], TODAY)


KINDS = {
    "reminder": lambda: reminder("reminder", WORKER, [REVIEW_ON_SUNDAY, PLACEMENT_PLAN]),
    "reminder_cover": lambda: reminder("reminder", "cover@example.org", [PLACEMENT_PLAN], cover_for=WORKER),
    "due_today": lambda: reminder("due_today", WORKER, [DUE_TODAY]),
    "overdue": lambda: reminder("overdue", WORKER, [VISIT_OVERDUE, CARE_PLAN_OVERDUE]),
    "escalation_manager": lambda: reminder("escalation_manager", MANAGER, [VISIT_OVERDUE, CARE_PLAN_OVERDUE, HOSTILE]),
    "escalation_iro": lambda: reminder("escalation_iro", IRO, [REVIEW_OVERDUE]),
    "dispute_prompt": lambda: dispute_prompt(cafcass_flagged=False),
    "dispute_prompt_after_cafcass": lambda: dispute_prompt(cafcass_flagged=True),
    "dispute_prompt_last_stage_no_reply_address": lambda: dispute_prompt(False, stage=4, reply_to=False),
    "digest": digest,
}
# The facts each kind's text must carry (SPEC §6 and issue 12: what a reader needs to act).
EXPECTED = {
    "reminder": ["Example Council", "C1 (J.B.): Second CLA review",
                 "due Sun 06 Dec 2026; last working day Fri 04 Dec 2026", "11 calendar days left",
                 "C2 (J.B.): Placement plan, due Wed 02 Dec 2026, 5 working days left",
                 "https://cases.example/child/C1", "https://cases.example/child/C2"],
    "reminder_cover": ["Covering for sw@example.org.", "5 working days left"],
    "due_today": ["C3 (J.B.): Care plan, due Wed 25 Nov 2026, due today", "https://cases.example/child/C3"],
    "overdue": ["5 calendar days overdue", "C5 (J.B.): Care plan, due Mon 23 Nov 2026, 2 working days overdue"],
    "escalation_manager": ["worker sw@example.org", "6 calendar days overdue",
                           "https://cases.example/child/%5Bclick%5D%28http%3A%2F%2Fevil.example%2Fx%29"],
    "escalation_iro": ["C6 (J.B.): First CLA review", "2 working days overdue", "worker sw@example.org"],
    "dispute_prompt": ["Dispute 2 on case C7 (K.L.) is at stage 2 (Service manager)",
                       "Allocated worker: sw@example.org",
                       "escalate to stage 3 (Head of service)", "resolve it", "refer the case to Cafcass",
                       "reply to iro-decisions@council.example", "Open case C7: https://cases.example/child/C7",
                       "Example Council"],
    "dispute_prompt_after_cafcass": ["escalate to stage 3 (Head of service)", "reply to iro-decisions@council.example"],
    "dispute_prompt_last_stage_no_reply_address": ["stage 4 (Director)", "resolve it", "refer the case to Cafcass",
                                                   "tell your ptrack administrator",
                                                   "`ptrack dispute resolve|cafcass 2`"],
    "digest": ["Weekly digest 2026-11-25", "Example Council"],
}
NEVER = {"dispute_prompt_after_cafcass": ["Cafcass", "cafcass"], "dispute_prompt": ["ptrack dispute"],
         "dispute_prompt_last_stage_no_reply_address": ["escalate", "dispute advance", "https://"]}


@pytest.fixture(scope="module")
def out() -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    return OUT


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_message_kind_says_what_the_reader_needs_and_is_kept(kind: str, out: Path) -> None:
    message = KINDS[kind]()
    text = plain_text(message)
    (out / f"{kind}.txt").write_text(text, encoding="utf-8")
    (out / f"{kind}.email.html").write_text(html_body(message), encoding="utf-8")
    for fact in EXPECTED[kind]:
        assert fact in text, f"{kind}: {fact!r} missing from\n{text}"
    for wrong in NEVER.get(kind, []):
        assert wrong not in text, f"{kind}: {wrong!r} must not be suggested"
    assert text.count("Covering for") == (1 if message.cover_for else 0)
    assert "Wilhelmina" not in text and "Sam Worker" not in text


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_is_a_valid_adaptive_card_1_4_with_its_markdown_escaped(kind: str, out: Path) -> None:
    message = KINDS[kind]()
    card = adaptive_card(message)
    (out / f"{kind}.card.json").write_text(json.dumps(card, indent=2, ensure_ascii=False), encoding="utf-8")
    # `msteams` (full width, the @mention entities) is Teams' own extension, defined outside the card schema
    # (whose AdaptiveCard allows no other property): the card is validated without it, the extension on its own.
    standard = {k: v for k, v in card.items() if k != "msteams"}
    jsonschema.Draft6Validator(SCHEMA).validate(standard)
    assert card["version"] == "1.4" and card["msteams"]["width"] == "Full"
    for mention in card["msteams"].get("entities", []):
        assert mention["type"] == "mention" and mention["text"] in json.dumps(card["body"])
    shown = [b.get("text", "") for b in card["body"]] + [f[k] for b in card["body"] for f in b.get("facts", [])
                                                         for k in ("title", "value")]
    link = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(")  # a Markdown link whose brackets are not escaped
    assert not [t for t in shown if link.search(t)], "data became a Markdown link"
    assert any("\\[click\\]" in t for t in shown) == (kind == "escalation_manager")
    urls = [a["url"] for b in card["body"] if b["type"] == "ActionSet" for a in b["actions"]]
    assert all(not re.search(r"[\[\]() ]", u) for u in urls), urls  # deep links are URL-encoded
    assert json.dumps(slack_blocks(message))  # and Slack renders it too


def render_card(card: dict[str, object], page: Path, shot: Path, width: int = 720, height: int = 1100) -> str:
    """Microsoft's Adaptive Cards renderer with the Teams light host config, in headless Chromium: a screenshot
    at `shot`, and the rendered DOM returned."""
    vendor = HERE / "vendor"
    page.write_text(f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<script src="{(vendor / 'adaptivecards-3.0.6.min.js').as_uri()}"></script></head>
<body style="margin:0;background:#f5f5f5;font-family:'Segoe UI',Helvetica,Arial,sans-serif">
<div id="card" style="width:640px;margin:16px;background:#fff;border-radius:4px"></div>
<script>
const card = new AdaptiveCards.AdaptiveCard();
card.hostConfig = new AdaptiveCards.HostConfig({(vendor / 'microsoft-teams-light.json').read_text()});
card.parse({json.dumps(card)});
document.getElementById("card").appendChild(card.render());
</script></body></html>""", encoding="utf-8")
    common = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run", "--allow-file-access-from-files",
              f"--user-data-dir={page.parent / 'chromium-profile'}"]
    subprocess.run([*common, f"--screenshot={shot}", f"--window-size={width},{height}", page.as_uri()],
                   capture_output=True, timeout=120, check=False)
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120,
                         check=False)
    return dom.stdout


def assert_not_blank(shot: Path, width: int, height: int) -> None:
    assert shot.exists(), "no screenshot"
    pixels = decode_png(shot.read_bytes())
    assert pixels.shape[:2] == (height, width)
    assert (pixels < 200).any(axis=2).mean() > 0.005, "the screenshot is blank"


def test_the_teams_card_renders_with_the_teams_host_config(out: Path) -> None:
    card = adaptive_card(KINDS["escalation_manager"]())
    shot = out / "escalation_manager.card.png"
    dom = render_card(card, out / "escalation_manager.card.html", shot)
    assert_not_blank(shot, 720, 1100)
    text = re.sub(r"<[^>]+>", " ", dom)
    for fact in ("Escalation: overdue in your team", "C5", "J.B.", "Care plan", "Mon 23 Nov 2026",
                 "2 working days overdue", "sw@example.org", "Open case C4", "Example Council"):
        assert fact in text, f"{fact!r} not rendered"
    assert 'href="http://evil.example' not in dom  # the hostile case id is text, never a link


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href" and v)


@pytest.fixture()
def case_system() -> Iterator[str]:
    """A stand-in for the council's case system: `/child/<id>` answers 200 naming the case."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            prefix = "/child/"
            ok = self.path.startswith(prefix)
            body = f"case {unquote(self.path[len(prefix):])}".encode() if ok else b"no such page"
            self.send_response(200 if ok else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_html_digest_links_every_case_and_the_links_work_in_chromium(out: Path, case_system: str) -> None:
    ids = ("C1", "C 2/3?x#y", EVIL)  # case ids are data: each must still reach its own page
    cfg = config(f"{case_system}/child/{{case_id}}")
    html = digest_message(MANAGER, sample_digest(ids), {}, cfg).html  # type: ignore[arg-type]
    page, shot = out / "digest.html", out / "digest.png"
    page.write_text(html, encoding="utf-8")
    common = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
              f"--user-data-dir={out / 'chromium-profile'}"]
    subprocess.run([*common, f"--screenshot={shot}", "--window-size=1200,1400", page.as_uri()],
                   capture_output=True, timeout=120, check=False)
    assert_not_blank(shot, 1200, 1400)
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120,
                         check=False).stdout
    anchors = _Anchors()
    anchors.feed(dom)
    cases = [h for h in anchors.hrefs if h.startswith(case_system)]
    assert len(cases) == len(ids), anchors.hrefs
    reached = set()
    for href in cases:
        with urlopen(href, timeout=5) as answer:
            assert answer.status == 200
            reached.add(answer.read().decode().removeprefix("case "))
    assert reached == set(ids)
