"""SSDA903 SWEpisodes through the installed CLI: `ptrack remind` sends to the social worker allocated on the
day (people.csv `sw_id`), not to the worker cases.csv recorded, and a worker people.csv does not name leaves the
recorded one; the digest, `ptrack deadlines` (and its --worker filter) and `doctor`'s recipients check see the
same worker."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli_commands import Ptrack

CASES = ("case_id,initials,dob,team,worker_email,manager_email,iro_email\n"
         "A1,AB,2014-03-03,Team A,recorded@example.org,tm@example.org,iro@example.org\n"
         "A2,CD,2013-05-05,Team A,recorded@example.org,tm@example.org,iro@example.org\n"
         "A3,EF,2012-07-07,Team A,,tm@example.org,iro@example.org\n")
PEOPLE = ("email,name,role,team,slack_user_id,channel,sw_id\n"
          "first@example.org,First Worker,worker,Team A,,,SW1001\n"
          "second@example.org,Second Worker,worker,Team A,,,SW1002\n"
          "recorded@example.org,Recorded Worker,worker,Team A,,,\n"
          "tm@example.org,Team Manager,manager,Team A,,,\n"
          "iro@example.org,An IRO,iro,,,,\n")
HEADER = ("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nA1,1,03/03/2014,WBRI,,,\nA2,2,05/05/2013,WBRI,,,\n"
          "A3,1,07/07/2012,WBRI,,,\n")
EPISODES = ("CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
            "A1,01/10/2026,S,C2,N1,U6,PR1,,,,,,\n"
            "A2,01/10/2026,S,C2,N1,U6,PR1,,,,,,\n"
            "A3,01/10/2026,S,C2,N1,U6,PR1,,,,,,\n")
# A1: SW1001 from 1 October; by 25 November SW1001 ended on 10 November and SW1002 took over. A2: a worker
# people.csv does not name. A3: no worker in cases.csv, SW1002 allocated from 10 November. Columns in another
# order: matched by name.
SW_EARLY = ("SW_DECOM,CHILD,SW_ID,DOB,SW_DEC,SW_REASON\n"
            "01/10/2026,A1,SW1001,03/03/2014,,\n"
            "01/10/2026,A2,SW9999,05/05/2013,,\n")
SW_LATE = ("SW_DECOM,CHILD,SW_ID,DOB,SW_DEC,SW_REASON\n"
           "01/10/2026,A1,SW1001,03/03/2014,10/11/2026,MGRDEC\n"
           "10/11/2026,A1,SW1002,03/03/2014,,\n"
           "01/10/2026,A2,SW9999,05/05/2013,,\n"
           "10/11/2026,A3,SW1002,07/07/2012,,\n")


def _recipients(p: Ptrack, case: str) -> set[str]:
    """Who the worker reminders sent through the folder channel about `case` went to."""
    out = set()
    for path in (p.cwd / "outbox").glob("*.json"):
        message = json.loads(path.read_text())
        if message["kind"] in ("overdue", "due_soon", "due_today") and \
                any(item["case_id"] == case for item in message["items"]):
            out.add(message["recipient_email"])
    return out


def test_reminders_go_to_the_worker_allocated_on_the_day(tmp_path: Path) -> None:
    for name, text in (("cases.csv", CASES), ("people.csv", PEOPLE), ("header.csv", HEADER),
                       ("episodes.csv", EPISODES), ("sw_early.csv", SW_EARLY), ("sw_late.csv", SW_LATE)):
        (tmp_path / name).write_text(text)
    # cla_review_first: 1 Oct 2026 + 20 working days = 29 Oct 2026, overdue on both days below.
    early = Ptrack(tmp_path, clock="2026-11-05T08:00:00+00:00")
    early("init")
    config = tmp_path / "ptrack.toml"  # the 903 return is complete: no review means none was held
    config.write_text(config.read_text().replace("complete_sources = []", 'complete_sources = ["ssda903"]'))
    early("--as-of", "2026-11-05", "import", "cases.csv", "people.csv", "header.csv", "episodes.csv",
          "sw_early.csv")
    early("--as-of", "2026-11-05", "remind")
    first = _recipients(early, "A1")
    assert "first@example.org" in first and not {"second@example.org", "recorded@example.org"} & first
    late = Ptrack(tmp_path, clock="2026-11-25T08:00:00+00:00")
    late("--as-of", "2026-11-25", "import", "sw_late.csv")
    late("--as-of", "2026-11-25", "remind")
    then = _recipients(late, "A1") - first
    assert "second@example.org" in then and "recorded@example.org" not in then
    # SW9999 is in no people.csv row: the worker cases.csv recorded is still told
    assert "recorded@example.org" in _recipients(late, "A2")
    # the manager's digest lists the case under the worker allocated that day too
    digest = json.loads(late("--as-of", "2026-11-25", "digest", "--format", "json").stdout)
    workers = {i["case_id"]: w["worker"] for team in digest["teams"] for w in team["workers"] for i in w["overdue"]}
    assert workers["A1"] == "second@example.org" and workers["A2"] == "recorded@example.org"
    assert workers["A3"] == "second@example.org"
    # `ptrack deadlines` shows, and --worker filters by, the same worker
    rows = json.loads(late("--as-of", "2026-11-25", "deadlines", "--format", "json").stdout)
    shown = {(r["case_id"], r["worker_email"]) for r in rows}
    assert shown == {("A1", "second@example.org"), ("A2", "recorded@example.org"), ("A3", "second@example.org")}
    second = json.loads(late("--as-of", "2026-11-25", "deadlines", "--worker", "second@example.org",
                             "--format", "json").stdout)
    assert {r["case_id"] for r in second} == {"A1", "A3"}
    recorded = json.loads(late("--as-of", "2026-11-25", "deadlines", "--worker", "Recorded@example.org",
                               "--format", "json").stdout)
    assert {r["case_id"] for r in recorded} == {"A2"}  # A1 is recorded with them but allocated to another
    # doctor: A3 has no worker in cases.csv but one allocated today, so its reminders reach someone
    doctor = " ".join(late("doctor", ok=False).stdout.replace("│", " ").split())
    assert "recipients ok" in doctor, doctor
