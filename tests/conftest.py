"""Database fixtures: every store test runs on SQLite (a temporary file) and on PostgreSQL.

PostgreSQL comes from `PTRACK_TEST_POSTGRES_URL` (default: the local `test` database). Each test gets its own
schema (selected through the connection's search_path) that is dropped afterwards, so parallel runs (xdist)
never see each other's tables. An unreachable server skips the PostgreSQL tests, except with `CI=true`, where
it fails them: CI must not go green by testing one database.

Migrating is the slow part of a database fixture, so it is done once per worker: `migrated_url` (and `store`)
copy a SQLite file the real Alembic migrations built at the start of the session, and give a PostgreSQL schema
the DDL of the models (the same schema: tests/store/test_migrations.py checks that the migrations match the
models) in one round trip. Tests of migrating itself use `db_url`, which stays empty."""

from __future__ import annotations

import csv
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path

# This conftest puts tests/ on sys.path; the repository root ahead of it keeps `ptrack` resolving to the real
# package whatever the working directory.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Hundreds of tests start the installed `ptrack` as a subprocess. An editable install has no compiled bytecode
# for ptrack (a wheel install compiles it), so with PYTHONDONTWRITEBYTECODE set (some CI images and sandboxes)
# every one of them would compile ptrack's ~130 modules again. Let this process and its children cache bytecode
# as a default Python does (in the git-ignored __pycache__ folders); it changes nothing they do.
if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
    sys.dont_write_bytecode = False

import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.dialects import postgresql  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.schema import CreateIndex, CreateTable  # noqa: E402

from ptrack.calendars import WorkingDayCalendar, england_and_wales  # noqa: E402
from ptrack.tracker.rules import RuleSet, load_ruleset  # noqa: E402
from ptrack.tracker.store import Store, init_database, open_store  # noqa: E402
from ptrack.tracker.store.engine import head_revision, sqlite_file  # noqa: E402
from ptrack.tracker.store.schema import metadata  # noqa: E402

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_base_url() -> str:
    return os.environ.get("PTRACK_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


@cache
def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    engine = create_engine(postgres_base_url(), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # any failure to connect means: no PostgreSQL here
        return f"PostgreSQL unreachable at {make_url(postgres_base_url()).render_as_string()}: {exc}"
    finally:
        engine.dispose()
    return None


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """A URL whose connections use a fresh, empty schema that is dropped after the test."""
    problem = postgres_problem()
    if problem is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(postgres_base_url())
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres_base_url()).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ptrack.db'}"
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest schema by Alembic, once per worker; tests get copies."""
    path = tmp_path_factory.mktemp("template") / "ptrack.db"
    init_database(f"sqlite:///{path}")
    return path


@cache
def postgres_schema_ddl() -> str:
    """The models' DDL for PostgreSQL plus the Alembic stamp, as one script (one round trip per test)."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    statements = ["SET LOCAL synchronous_commit TO OFF"]  # a throwaway test schema needs no durable commit
    for table in metadata.sorted_tables:
        statements.append(str(CreateTable(table).compile(dialect=dialect)))
        statements.extend(str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes)
    statements.append("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                      "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")
    statements.append(f"INSERT INTO alembic_version (version_num) VALUES ('{head_revision()}')")
    return ";\n".join(statements)


def migrate_quickly(url: str, template: Path) -> None:
    """Bring the empty database at `url` (a fresh SQLite path or a fresh PostgreSQL schema) to the newest schema."""
    path = sqlite_file(url)
    if url.startswith("sqlite"):
        assert path is not None
        shutil.copyfile(template, path)
        return
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(postgres_schema_ddl())
    finally:
        engine.dispose()


@pytest.fixture
def migrated_url(db_url: str, sqlite_template: Path) -> str:
    """A database at the newest schema, with nothing in it."""
    migrate_quickly(db_url, sqlite_template)
    return db_url


@pytest.fixture
def store(migrated_url: str) -> Iterator[Store]:
    """An initialised, empty store."""
    opened = open_store(migrated_url)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def calendar() -> WorkingDayCalendar:
    return england_and_wales()


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    return load_ruleset(["england"])


def _write_csv(
    path: Path, header: Sequence[str], rows: Sequence[Sequence[object]], *, bom: bool = False, crlf: bool = False
) -> Path:
    """A CSV file as a case system might export it (optionally Excel-style: BOM and CRLF line ends)."""
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n" if crlf else "\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def write_csv() -> Callable[..., Path]:
    """`write_csv(path, header, rows, bom=False, crlf=False)`."""
    return _write_csv
