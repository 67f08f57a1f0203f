"""The daemon as a process (STYLE 13): `ptrack run` with a test schedule firing every second or two, on a real
SQLite file and a real PostgreSQL schema, signalled and killed like systemd or a crash would."""

from __future__ import annotations

import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ptrack.tracker.store import Store, init_database, open_store
from tests.daemon.daemon_harness import (
    TeamsStandIn,
    daemons,
    outbox_counts,
    queue_messages,
    status,
    status_cli,
    wait_for,
    write_config,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
FAST = {"dispatch": "* * * * * *", "stale_check": "*/2 * * * * *", "remind": "off", "import": "off",
        "digest": "off"}


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    url = f"sqlite:///{tmp_path / 'ptrack.db'}"
    init_database(url)
    store = open_store(url)
    yield url, store
    store.close()


def _job(report: dict[str, object], name: str) -> dict[str, object]:
    jobs = report["jobs"]
    assert isinstance(jobs, list)
    return next(j for j in jobs if j["job"] == name)


def _recomputed_after_import(report: dict[str, object]) -> bool:
    """The chained recompute has run after an import (the daemon also runs one at start, before any import)."""
    imported, recomputed = _job(report, "import"), _job(report, "recompute")
    return bool(imported.get("outcome") == "ok" and recomputed.get("outcome") == "ok"
                and str(recomputed.get("last_started") or "") >= str(imported.get("last_started") or "~"))


def test_jobs_fire_and_sigterm_exits_zero(tmp_path: Path, sqlite_store: tuple[str, Store]) -> None:
    url, store = sqlite_store
    write_config(tmp_path, FAST)
    queue_messages(store, 0, 5)
    with TeamsStandIn() as teams, daemons(tmp_path, url, teams.url) as d:
        proc = d.start()
        wait_for("5 messages received", lambda: teams.total() == 5, 30, d.logs)
        wait_for("the stale check recorded", lambda: _job(status(tmp_path, url), "stale_check")["outcome"] == "ok",
                 30, d.logs)
        report = status_cli(tmp_path, url)
        assert _job(report, "dispatch")["outcome"] == "ok"
        assert _job(report, "dispatch")["next_run"] is not None
        assert report["leader"]["alive"] is True and report["leader"]["pid"] == proc.pid
        assert report["outbox"] == {"sent": 5}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert '"stopped (exit 0)"' in d.logs()
    assert status(tmp_path, url)["leader"]["alive"] is False


def test_the_nightly_import_runs_then_recompute_and_the_import_is_recorded(
    tmp_path: Path, sqlite_store: tuple[str, Store]
) -> None:
    url, _ = sqlite_store
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    for name in ("cases.csv", "events.csv"):
        shutil.copy(GOLDEN / name, incoming / name)
    write_config(tmp_path, {**FAST, "import": "*/2 * * * * *"})
    with (tmp_path / "ptrack.toml").open("a") as cfg:
        cfg.write(f'\n[import]\ndrop_folder = "{incoming}"\n')
    with TeamsStandIn() as teams, daemons(tmp_path, url, teams.url) as d:
        proc = d.start()
        wait_for("the recompute after the import", lambda: _recomputed_after_import(status(tmp_path, url)), 60,
                 d.logs)
        report = status(tmp_path, url)
        assert _job(report, "import")["outcome"] == "ok", d.logs()
        assert "files by outcome: imported 2" in d.logs()  # a later run may have found none waiting
        assert report["last_import"] is not None and report["stale"] is False
        assert not list(incoming.glob("*.csv")), "the files were moved out of the drop folder"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0


def test_sigterm_during_a_dispatch_finishes_it_and_exits_zero(tmp_path: Path,
                                                              sqlite_store: tuple[str, Store]) -> None:
    url, store = sqlite_store
    write_config(tmp_path, FAST)
    queue_messages(store, 0, 12)
    with TeamsStandIn(delay=0.4) as teams, daemons(tmp_path, url, teams.url) as d:
        proc = d.start()
        wait_for("the dispatch pass to be sending", lambda: teams.total() >= 2, 30, d.logs)
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0, d.logs()
        assert time.monotonic() - start < 10
    assert outbox_counts(store) == {"sent": 12}, "the pass in hand was finished before exiting"
    assert teams.total() == 12 and not teams.duplicates()


def test_sigkill_mid_dispatch_then_restart_loses_nothing(tmp_path: Path, sqlite_store: tuple[str, Store]) -> None:
    """docs/delivery.md: at-least-once; only a message in flight when the dispatcher died may be sent twice."""
    url, store = sqlite_store
    write_config(tmp_path, FAST)
    queue_messages(store, 0, 30)
    with TeamsStandIn(delay=0.15) as teams, daemons(tmp_path, url, teams.url) as d:
        proc = d.start()
        wait_for("some messages sent", lambda: teams.total() >= 5, 30, d.logs)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert outbox_counts(store).get("sending", 0) > 0, "killed in the middle of a pass"
        d.start()
        wait_for("every message sent", lambda: outbox_counts(store) == {"sent": 30}, 60, d.logs)
    assert set(teams.received) == {f"MSG-{i}" for i in range(30)}, "no owed message is lost"
    assert sum(teams.duplicates().values()) - len(teams.duplicates()) <= 1, "at most the one in flight twice"
    assert "put back in the queue" in d.logs()


def test_the_folder_lock_makes_a_second_sqlite_instance_stand_by(tmp_path: Path,
                                                                  sqlite_store: tuple[str, Store]) -> None:
    url, _ = sqlite_store
    write_config(tmp_path, FAST)
    with TeamsStandIn() as teams, daemons(tmp_path, url, teams.url) as d:
        first = d.start("one")
        wait_for("a leader", lambda: status(tmp_path, url)["leader"]["alive"], 30, d.logs)
        second = d.start("two")
        wait_for("the second to stand by", lambda: "standing by" in d.logs(), 30, d.logs)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        wait_for("the second to lead", lambda: status(tmp_path, url)["leader"]["instance_id"] == "two", 30, d.logs)
        second.send_signal(signal.SIGTERM)
        assert second.wait(10) == 0


@pytest.mark.postgres
def test_two_instances_on_postgresql_one_leader_no_duplicates_and_takeover(
    tmp_path: Path, postgres_schema_url: str
) -> None:
    url = postgres_schema_url
    init_database(url)
    store = open_store(url)
    write_config(tmp_path, FAST)
    try:
        with TeamsStandIn() as teams, daemons(tmp_path, url, teams.url) as d:
            procs = {"a": d.start("a"), "b": d.start("b")}
            wait_for("a leader", lambda: status(tmp_path, url)["leader"]["alive"], 30, d.logs)
            queue_messages(store, 0, 1000)
            wait_for("1,000 messages sent", lambda: outbox_counts(store) == {"sent": 1000}, 120, d.logs)
            assert teams.total() == 1000 and not teams.duplicates(), "no duplicate sends"
            leader = status(tmp_path, url)["leader"]
            assert leader["alive"] and leader["instance_id"] in procs
            assert _senders(store) == {f"daemon:{leader['instance_id']}:{procs[leader['instance_id']].pid}"}
            other = "b" if leader["instance_id"] == "a" else "a"
            assert procs[other].poll() is None and "standing by" in d.logs()

            procs[leader["instance_id"]].send_signal(signal.SIGKILL)
            procs[leader["instance_id"]].wait(10)
            took = wait_for("the stand-by to take over", lambda: _leads(tmp_path, url, other), 60, d.logs)
            assert took < 60
            queue_messages(store, 1000, 10)
            wait_for("the new leader to send", lambda: outbox_counts(store) == {"sent": 1010}, 60, d.logs)
            assert teams.total() == 1010 and not teams.duplicates()
            procs[other].send_signal(signal.SIGTERM)
            assert procs[other].wait(10) == 0
    finally:
        store.close()


def _leads(folder: Path, url: str, instance: str) -> bool:
    leader = status(folder, url)["leader"]
    return bool(leader["alive"] and leader["instance_id"] == instance)


def _senders(store: Store) -> set[str]:
    from sqlalchemy import select

    from ptrack.tracker.store.notify_schema import outbox_messages as m

    with store.reading() as conn:
        return set(conn.execute(select(m.c.claimed_by).distinct()).scalars())


def test_status_without_a_daemon(tmp_path: Path, sqlite_store: tuple[str, Store]) -> None:
    url, _ = sqlite_store
    write_config(tmp_path, FAST)
    report = status_cli(tmp_path, url)
    assert report == status(tmp_path, url) | {"now": report["now"]}, "the tests' in-process status is the CLI's"
    assert report["leader"]["alive"] is False and report["last_import"] is None and report["stale"] is True
    assert [j["job"] for j in report["jobs"]] == ["import", "recompute", "remind", "dispatch", "digest",
                                                  "stale_check"]
