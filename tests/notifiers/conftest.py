"""Fixtures for the notifier contract suite (helpers in notifier_harness and notifier_peers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from notifier_harness import (
    CHANNELS,
    Harness,
    folder_harness,
    graph_harness,
    slack_harness,
    smtp_harness,
    teams_harness,
)
from notifier_peers import HttpPeer, make_certificate, server_context


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def http_peer() -> Iterator[Callable[..., HttpPeer]]:
    peers: list[HttpPeer] = []

    def start(route: Callable[..., tuple[int, dict[str, str], bytes]], tls: bool | None = None,
              cert: tuple[Path, Path] | None = None) -> HttpPeer:
        peers.append(HttpPeer(route, server_context(cert) if tls and cert else None))
        return peers[-1]

    yield start
    for peer in peers:
        peer.close()


@pytest.fixture(params=CHANNELS)
def harness(request: pytest.FixtureRequest, tmp_path: Path, certificate: tuple[Path, Path],
            http_peer: Callable[..., HttpPeer]) -> Iterator[Harness]:
    builder = {"folder": folder_harness, "teams": teams_harness, "slack": slack_harness, "smtp": smtp_harness,
               "graph": graph_harness}
    yield from builder[request.param](tmp_path, certificate, http_peer)
