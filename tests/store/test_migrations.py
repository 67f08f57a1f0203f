"""The schema: created or upgraded by Alembic from any working directory, and identical to the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from ptrack.tracker.errors import StoreError
from ptrack.tracker.store import init_database, open_store
from ptrack.tracker.store.engine import create_store_engine, current_revision, head_revision
from ptrack.tracker.store.schema import metadata

TABLES = {
    "cases", "people", "events", "event_history", "deadlines", "deadline_history", "import_batches",
    "rejected_rows", "meta", "alembic_version",
}


def test_init_creates_every_table_and_is_idempotent(db_url: str) -> None:
    init_database(db_url)
    init_database(db_url)  # upgrading a database already at head changes nothing
    store = open_store(db_url)
    try:
        assert set(inspect(store.engine).get_table_names()) >= TABLES
    finally:
        store.close()


def test_migration_matches_the_models(db_url: str) -> None:
    init_database(db_url)
    engine = create_store_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_indexes_for_overdue_queries_and_cases(db_url: str) -> None:
    init_database(db_url)
    engine = create_store_engine(db_url)
    try:
        insp = inspect(engine)
        deadline_ix = {tuple(ix["column_names"]) for ix in insp.get_indexes("deadlines")}
        deadline_uq = {tuple(u["column_names"]) for u in insp.get_unique_constraints("deadlines")}
        event_ix = {tuple(ix["column_names"]) for ix in insp.get_indexes("events")}
    finally:
        engine.dispose()
    assert ("closed_on", "due") in deadline_ix
    assert ("case_id", "key") in deadline_uq | deadline_ix
    assert ("case_id", "date") in event_ix


def test_works_from_any_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    init_database("sqlite:///elsewhere/new/ptrack.db")
    assert (tmp_path / "elsewhere" / "new" / "ptrack.db").exists()


def test_an_uninitialised_database_is_refused_with_the_fix(db_url: str) -> None:
    engine = create_store_engine(db_url)
    with engine.begin() as conn:  # the database exists, the schema does not
        conn.exec_driver_sql("CREATE TABLE unrelated (x INTEGER)")
    engine.dispose()
    with pytest.raises(StoreError, match=r"is not initialised: run `ptrack init`"):
        open_store(db_url)


def test_a_missing_sqlite_file_is_not_created_by_opening_it(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"no database at .*missing.db: run `ptrack init`"):
        open_store(f"sqlite:///{tmp_path / 'missing.db'}")
    assert not (tmp_path / "missing.db").exists()


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    with pytest.raises(StoreError) as caught:
        init_database("postgresql://someone:s3cret-pw@127.0.0.1:1/nowhere")
    message = str(caught.value)
    assert "\n" not in message and "s3cret-pw" not in message
    assert message.startswith("database postgresql+psycopg://someone:***@127.0.0.1:1/nowhere")


def test_init_brings_the_database_to_the_newest_migration(db_url: str) -> None:
    init_database(db_url)
    engine = create_store_engine(db_url)
    try:
        assert current_revision(engine) == head_revision() is not None
    finally:
        engine.dispose()


def test_a_malformed_url_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="is not valid"):
        open_store("not a url at all://")


def test_two_processes_initialising_at_once_both_succeed(db_url: str) -> None:
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2) as pool:
        results = list(pool.map(init_database, [db_url, db_url]))
    assert results == [None, None]
    open_store(db_url).close()


def test_the_head_revision_read_from_the_scripts_is_alembics() -> None:
    """`head_revision` reads the scripts without Alembic (it runs at every command's start); it must agree."""
    from alembic.script import ScriptDirectory

    from ptrack.tracker.store.engine import alembic_config

    assert head_revision() == ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
