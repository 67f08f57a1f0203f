"""The notifier contract suite's harness: one `Harness` per channel, built through `build_notifiers` from a real
config and environment, talking to the real local peer in `notifier_peers`. The fixtures are in conftest.py
(kept apart: several conftest modules share the name `conftest`, so tests import from here)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from notifier_peers import (
    CLIENT_TIMEOUT,
    GRAPH_CLIENT_ID,
    GRAPH_SECRET,
    GRAPH_TENANT,
    GRAPH_TOKEN,
    SLACK_TOKEN,
    SMTP_PASSWORD,
    SMTP_USER,
    DripServer,
    HttpPeer,
    SmtpPeer,
    closed_port,
    graph_route,
    server_context,
    slack_route,
    teams_route,
)

from ptrack.notifiers.base import Message, MessageItem, Notifier
from ptrack.notifiers.registry import build_notifiers
from ptrack.tracker.config import parse_config

PERSON_NAME = "Wilhelmina Featherstonehaugh"  # in the data, never in what a channel delivers
WEBHOOK_SIG = "WEBHOOKSIGNATURE0123456789"
WORKFLOW_ID = "5d0e6b3a9c7f41e2b8a4d1c0f9e2a7b6"  # a path segment of the webhook URL, as secret as the signature
CHANNELS = ["folder", "teams", "slack", "smtp", "graph"]


COUNCIL = "Example Council"
# What every channel must deliver for `sample_message` (wherever the channel puts it: text, card, blocks, HTML).
SAMPLE_FACTS = ("CASE-1042", "J.B.", "Second CLA review", "Sun 06 Dec 2026", "Fri 04 Dec 2026", "8 working days left",
                "https://case-system.example/child/CASE-1042", "CASE-2077", "A.K.", "3 calendar days overdue",
                "worker7@council.example", COUNCIL)


def sample_message(email: str = "worker42@council.example", kind: str = "escalation_manager") -> Message:
    """Wed 25 Nov 2026: a review due on a Sunday (last working day the Friday before, 8 working days left) and
    a health assessment 3 calendar days overdue, for a manager (so the allocated worker is named)."""
    items = (
        MessageItem("CASE-1042", "J.B.", "cla_review_second", "Second CLA review", date(2026, 12, 6), 11,
                    "https://case-system.example/child/CASE-1042", date(2026, 12, 4), 8, "worker7@council.example"),
        MessageItem("CASE-2077", "A.K.", "health_assessment_initial", "Initial health assessment",
                    date(2026, 11, 22), -3, worker="worker7@council.example"),
    )
    return Message(key=f"{email}|CASE-1042|{kind}|2026-11-25", kind=kind, recipient_email=email, items=items,
                   team="Children in Care 1", council=COUNCIL, extra={"worker_name": PERSON_NAME})


@dataclass
class Harness:
    """One channel wired to its peer. `build(broken=True)` points the channel at a closed port."""

    channel: str
    build: Callable[..., Notifier]
    delivered: Callable[[], list[str]]
    secrets: list[str] = field(default_factory=list)
    peer: HttpPeer | SmtpPeer | None = None
    parts: list[str] = field(default_factory=list)  # secrets of which not even a fragment may show
    retry_after_supported: bool = True
    dripping: Callable[[], Notifier] | None = None  # the channel pointed at a peer that drips its answer

    def set_mode(self, mode: str) -> None:
        assert self.peer is not None
        self.peer.mode = mode


def notifier_from(toml: str, env: dict[str, str], name: str) -> Notifier:
    return build_notifiers(parse_config(toml), env)[name]


def folder_harness(tmp: Path, cert: tuple[Path, Path], start: Callable[..., HttpPeer]) -> Iterator[Harness]:
    folder = tmp / "outbox"

    def build(broken: bool = False) -> Notifier:
        return notifier_from(f'[channels.files]\nkind = "folder"\npath = "{folder}"\n', {}, "files")

    def delivered() -> list[str]:
        return [p.read_text() for p in sorted(folder.glob("*.*"))]

    yield Harness("folder", build, delivered)


def teams_harness(tmp: Path, cert: tuple[Path, Path], start: Callable[..., HttpPeer]) -> Iterator[Harness]:
    peer = start(teams_route)
    path = f"/workflows/{WORKFLOW_ID}/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers&sig={WEBHOOK_SIG}"

    def build(broken: bool = False) -> Notifier:
        url = f"http://127.0.0.1:{closed_port() if broken else peer.port}{path}"
        toml = ('[channels.teams]\nkind = "teams_workflow"\n'
                f'timeout = {CLIENT_TIMEOUT}\n[teams."Children in Care 1"]\nteams_webhook_env = "PTRACK_TEAMS_CIC1"\n')
        return notifier_from(toml, {"PTRACK_TEAMS_CIC1": url}, "teams")

    secrets = [f"{peer.base}{path}", WEBHOOK_SIG, WORKFLOW_ID, path.partition("?")[2]]
    peer.cut_secret = WORKFLOW_ID
    yield Harness("teams", build, lambda: peer.bodies("/workflows/"), secrets, peer, [WORKFLOW_ID, WEBHOOK_SIG],
                  dripping=dripping(peer, build))


def dripping(peer: HttpPeer, build: Callable[..., Notifier]) -> Callable[[], Notifier]:
    def make() -> Notifier:
        peer.mode = "drip"
        return build()

    return make


def slack_harness(tmp: Path, cert: tuple[Path, Path], start: Callable[..., HttpPeer]) -> Iterator[Harness]:
    peer = start(slack_route)

    def build(broken: bool = False) -> Notifier:
        port = closed_port() if broken else peer.port
        toml = (f'[channels.chat]\nkind = "slack"\ntoken_env = "PTRACK_SLACK_TOKEN"\n'
                f'base_url = "http://127.0.0.1:{port}/api/"\ntimeout = {CLIENT_TIMEOUT}\n')
        return notifier_from(toml, {"PTRACK_SLACK_TOKEN": SLACK_TOKEN}, "chat")

    peer.cut_secret, peer.cut_at = SLACK_TOKEN, 200
    yield Harness("slack", build, lambda: peer.bodies("chat.postMessage"), [SLACK_TOKEN], peer, [SLACK_TOKEN],
                  dripping=dripping(peer, build))


def smtp_harness(tmp: Path, cert: tuple[Path, Path], start: Callable[..., HttpPeer]) -> Iterator[Harness]:
    peer = SmtpPeer(server_context(cert))
    drip = DripServer()

    def build(broken: bool = False, password: str = SMTP_PASSWORD, port: int | None = None) -> Notifier:
        port = port or (closed_port() if broken else peer.port)
        toml = (f'[channels.email]\nkind = "smtp"\nhost = "127.0.0.1"\nport = {port}\nstarttls = true\n'
                f'sender = "ptrack@council.example"\nusername_env = "U"\npassword_env = "P"\n'
                f'timeout = {CLIENT_TIMEOUT}\nca_bundle = "{cert[0]}"\n')
        return notifier_from(toml, {"U": SMTP_USER, "P": password}, "email")

    plain = base64.b64encode(f"\0{SMTP_USER}\0{SMTP_PASSWORD}".encode()).decode()  # what AUTH PLAIN sends
    try:
        yield Harness("smtp", build, peer.delivered, [SMTP_PASSWORD, plain], peer, [SMTP_PASSWORD],
                      retry_after_supported=False, dripping=lambda: build(port=drip.port))
    finally:
        peer.close()
        drip.close()


def graph_harness(tmp: Path, cert: tuple[Path, Path], start: Callable[..., HttpPeer]) -> Iterator[Harness]:
    peer = start(graph_route, tls=True, cert=cert)

    def build(broken: bool = False, secret: str = GRAPH_SECRET, ca_bundle: str = str(cert[0])) -> Notifier:
        base = f"https://127.0.0.1:{closed_port()}" if broken else peer.base
        toml = (f'[channels.email]\nkind = "graph"\ntenant_id = "{GRAPH_TENANT}"\nclient_id = "{GRAPH_CLIENT_ID}"\n'
                f'client_secret_env = "PTRACK_GRAPH_SECRET"\nsender = "ptrack@council.example"\n'
                f'authority_base_url = "{base}"\nbase_url = "{base}"\ntimeout = {CLIENT_TIMEOUT}\n'
                f'ca_bundle = "{ca_bundle}"\n')
        return notifier_from(toml, {"PTRACK_GRAPH_SECRET": secret}, "email")

    peer.cut_secret = GRAPH_TOKEN
    yield Harness("graph", build, lambda: peer.bodies("/sendMail"), [GRAPH_SECRET, GRAPH_TOKEN], peer,
                  [GRAPH_SECRET, GRAPH_TOKEN], dripping=dripping(peer, build))
