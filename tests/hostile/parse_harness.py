"""The installed `ptrack` on hostile files (tests/hostile/test_parse_*, test_limits_*, test_error_tree): a
subprocess in a scratch directory against a migrated SQLite file or PostgreSQL schema, with its peak memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select

from ptrack.tracker.store import schema as t
from tests import inprocess

AS_OF = "2026-11-25"
CASES_HEADER = "case_id,initials,dob,team,worker_email,manager_email,iro_email\n"
HEADER_903 = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPISODES_903 = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
SSD_PERSON = "pers_person_id,pers_dob\n"
# The peak resident memory of the command, measured by a parent that only waits for it (ru_maxrss of its
# children is then the command's own), printed on the parent's last line.
_MEASURE = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(r.returncode)")


def ptrack_exe() -> str:
    return str(Path(sys.executable).parent / "ptrack")


@dataclass
class Run:
    code: int
    out: str
    err: str
    peak_mb: float = 0.0

    @property
    def reports(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = json.loads(self.out)
        return found

    def one_line_error(self) -> str:
        """The error of a failed command: one line, no traceback, nothing "unexpected" (a foreign exception)."""
        lines = [line for line in self.err.splitlines() if line.strip()]
        assert self.code != 0, self.out
        assert len(lines) == 1, self.err
        assert lines[0].startswith("error: "), self.err
        assert "unexpected" not in lines[0] and "Traceback" not in self.err, self.err
        return lines[0]


def ptrack(cwd: Path, db_url: str, *args: str, measure: bool = False, process: bool = False,
           timeout: float = 300) -> Run:
    """`ptrack --db URL --as-of AS_OF ARGS` in `cwd`: a subprocess when `measure` (its peak memory) or `process`,
    else in the test process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PTRACK_")}
    env["COLUMNS"] = "200"
    command = [ptrack_exe(), "--db", db_url, "--as-of", AS_OF, *args]
    if not measure and not process:  # in the test process (tests/inprocess.py): no second of start-up
        r = inprocess.run(command[1:], cwd=cwd, env=env)
        return Run(r.returncode, r.stdout, r.stderr)
    if measure:
        command = [sys.executable, "-c", _MEASURE, *command]
    r = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    err, peak = r.stderr, 0.0
    if measure:
        *rest, last = r.stderr.rstrip("\n").split("\n")
        err, peak = "\n".join(rest), int(last) / 1024
    return Run(r.returncode, r.stdout, err, peak)


def import_files(cwd: Path, db_url: str, *files: Path | str, measure: bool = False) -> Run:
    return ptrack(cwd, db_url, "import", "--format-report", "json", *map(str, files), measure=measure)


def batch_statuses(db_url: str) -> list[str]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(select(t.import_batches.c.status))]
    finally:
        engine.dispose()


def stored_case_ids(db_url: str) -> set[str]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(select(t.cases.c.case_id))}
    finally:
        engine.dispose()


def count_rows(db_url: str, table: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.metadata.tables[table])).scalar_one())
    finally:
        engine.dispose()


def write(path: Path, header: str, rows: Sequence[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(header)
        f.writelines(row + "\n" for row in rows)
    return path


def case_rows(n: int, prefix: str = "C") -> list[str]:
    return [f"{prefix}{i},AB,01/06/2015,Team A,sw@example.org,," for i in range(n)]


def xml_child(child: str, dob: str) -> str:
    return (f"<CHILD><HEADER><CHILD>{child}</CHILD><SEX>1</SEX><DOB>{dob}</DOB></HEADER><EPISODES><EPISODE>"
            f"<CHILD>{child}</CHILD><DECOM>01/04/2023</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PLACE>U1</PLACE>"
            "</EPISODE></EPISODES></CHILD>\n")


def write_903_xml(path: Path, children: Sequence[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="utf-8"?>\n<EXPSSDA903>\n')
        f.writelines(xml_child(c, d) for c, d in children)
        f.write("</EXPSSDA903>\n")
    return path
