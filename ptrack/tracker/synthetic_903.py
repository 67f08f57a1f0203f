"""Synthetic SSDA903 returns (CSV and XML, one per collection year) built on `ptrack.tracker.synthetic` timelines, and
a "messy" mode planting the irregularities real returns have. SSD extracts are in `synthetic_ssd.py`.

A child's periods of care become 903 episodes: the first placement of a period is RNE S, each later one RNE P
(the episode before it ends with REC X1), the period's end is the last episode's DEC with a leaving code. Short
breaks are LS V3, one episode per break; every other short-break child's return records agreements instead (LS
V4: one episode from the first break of an agreement to the last). The Missing, SWEpisodes and PlacedAdoption
tables come from the same timelines (a missing episode still open has no MIS_END), and UASC, OC2, OC3, AD1 and
PrevPerm are written with a few rows each (ptrack reads no deadline from them). A
collection year (1 April to 31 March) holds the episodes open during it, with DEC and REC blank when the
episode ended after the year; so an episode spanning years is in several returns, as in real life.
Synthetic data only: no real names, no postcodes, no UPNs."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ptrack.tracker.importing.ssda903 import (
    EPISODE_COLUMNS,
    HEADER_COLUMNS,
    MISSING_COLUMNS,
    PLACED_ADOPTION_COLUMNS,
    REVIEW_COLUMNS,
    SW_EPISODE_COLUMNS,
    UNUSED_TABLES,
)
from ptrack.tracker.model import Case, Event
from ptrack.tracker.synthetic import CaseloadShape, caseload, sw_id_of

CONNECTED_PLACE_CODES = ("U1", "U2", "U3")  # the config the generated returns assume
_LEAVING = ("E11", "E13", "E4A", "E8", "E12")


def place_code(event: Event) -> str:
    if event.placement_kind in ("foster", "emergency_foster"):  # 903 has no code for an emergency placement
        return "U4" if event.intended_until_18 else "U6"
    return {"connected_person": "U3", "residential": "K2", "with_parent": "P1", "adoption": "A5",
            "short_break": "U6", "emergency_foster": "U6"}.get(
        event.placement_kind, "P2")


def dmy(day: date | None) -> str:
    return "" if day is None else day.strftime("%d/%m/%Y")


@dataclass
class Episode:
    child: str
    decom: date
    rne: str
    ls: str
    place: str
    dec: date | None = None
    rec: str = ""


@dataclass
class Child903:
    case: Case
    episodes: list[Episode] = field(default_factory=list)
    reviews: list[date] = field(default_factory=list)
    missing: list[tuple[str, date, date | None]] = field(default_factory=list)  # (M/A, start, end)
    workers: list[tuple[str, date, date | None]] = field(default_factory=list)  # (SW_ID, from, to)
    authority: list[date] = field(default_factory=list)

    def sex(self) -> str:
        return "1" if int(self.case.case_id[1:]) % 2 else "2"


def child_903(case: Case, events: Sequence[Event], n: int) -> Child903:
    """One child's timeline as 903 episodes, reviews, missing episodes, worker allocations and adoption
    decisions."""
    out = Child903(case)
    in_period, ls = False, "C2"
    agreements = n % 2 == 0  # this return records short breaks as agreements (V4)
    for event in events:
        if event.kind == "looked_after_start":
            in_period, ls = True, "V3" if event.subkind == "short_breaks" else "C2"
        elif event.kind == "placement_start" and in_period:
            previous = out.episodes[-1] if out.episodes and out.episodes[-1].dec is None else None
            if previous is not None:
                previous.dec, previous.rec = event.date, "X1"
            rne = "P" if previous is not None else "S"
            if ls == "V3" and agreements and _extend_agreement(out, event.date):
                continue
            out.episodes.append(Episode(case.case_id, event.date, rne, "V4" if ls == "V3" and agreements else ls,
                                        place_code(event)))
        elif event.kind == "looked_after_end" and out.episodes and out.episodes[-1].dec is None:
            out.episodes[-1].dec, out.episodes[-1].rec = event.date, _LEAVING[n % len(_LEAVING)]
            in_period = False
        elif event.kind == "review_held" and (in_period or ls == "V3"):
            out.reviews.append(event.date)
        elif event.kind == "missing_start":
            out.missing.append(("A" if event.subkind == "away" else "M", event.date, None))
        elif event.kind == "missing_end" and out.missing and out.missing[-1][2] is None:
            out.missing[-1] = (out.missing[-1][0], out.missing[-1][1], event.date)
        elif event.kind == "authority_to_place":
            out.authority.append(event.date)
    if out.episodes:
        first = out.episodes[0].decom
        mid = date.fromordinal((first.toordinal() + events[-1].date.toordinal()) // 2)
        other = case.worker_email.replace("1@", "2@") if "1@" in case.worker_email else \
            case.worker_email.rsplit("@", 1)[0][:-1] + "1@" + case.worker_email.rsplit("@", 1)[1]
        out.workers = [(sw_id_of(other), first, mid), (sw_id_of(case.worker_email), mid, None)]
    return out


def _extend_agreement(child: Child903, start: date) -> bool:
    """A short break inside the current V4 agreement (ended less than 60 days ago, agreements of up to a year)
    extends it rather than starting an episode."""
    last = child.episodes[-1] if child.episodes else None
    if last is None or last.ls != "V4" or last.dec is None or (start - last.dec).days > 60 \
            or (start - last.decom).days > 365:
        return False
    last.dec, last.rec = None, ""
    return True


def children_903(shape: CaseloadShape) -> Iterator[Child903]:
    for n, (case, events) in enumerate(caseload(shape)):
        child = child_903(case, events, n)
        if child.episodes:
            yield child


def year_bounds(year: int) -> tuple[date, date]:
    """Collection year `year` runs from 1 April `year` to 31 March `year + 1` (e.g. 2023 is 2023-24)."""
    return date(year, 4, 1), date(year + 1, 3, 31)


def overlaps(start: date, end: date | None, year: int) -> bool:
    first, last = year_bounds(year)
    return start <= last and (end is None or end >= first)


def in_year(child: Child903, year: int) -> tuple[list[Episode], list[date]]:
    first, last = year_bounds(year)
    episodes = []
    for e in child.episodes:
        if e.decom <= last and (e.dec is None or e.dec >= first):
            ended = e.dec is not None and e.dec <= last
            episodes.append(Episode(e.child, e.decom, e.rne, e.ls, e.place, e.dec if ended else None,
                                    e.rec if ended else ""))
    return episodes, [r for r in child.reviews if first <= r <= last]


def years_of(shape: CaseloadShape) -> list[int]:
    first = min((c.episodes[0].decom for c in children_903(shape)), default=shape.as_of)
    start = first.year if first.month >= 4 else first.year - 1
    end = shape.as_of.year if shape.as_of.month >= 4 else shape.as_of.year - 1
    return list(range(start, end + 1))


@dataclass(frozen=True)
class Return:
    year: int
    header: Path
    episodes: Path
    reviews: Path
    xml: Path
    missing: Path
    sw_episodes: Path
    placed_adoption: Path
    unused: tuple[Path, ...]  # UASC, OC2, OC3, AD1, PrevPerm

    @property
    def csvs(self) -> list[Path]:
        """Every CSV table of the return."""
        return [self.header, self.episodes, self.reviews, self.missing, self.sw_episodes, self.placed_adoption,
                *self.unused]


def write_returns(directory: Path, shape: CaseloadShape, years: Sequence[int] | None = None) -> list[Return]:
    """One return per collection year: `<year>/header.csv`, `episodes.csv`, `reviews.csv` and `return.xml`."""
    out = []
    for year in years if years is not None else years_of(shape):
        folder = directory / f"{year}-{(year + 1) % 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        ret = Return(year, folder / "header.csv", folder / "episodes.csv", folder / "reviews.csv",
                     folder / "return.xml", folder / "missing.csv", folder / "sw_episodes.csv",
                     folder / "placed_adoption.csv", tuple(folder / f"{name}.csv" for name in UNUSED_TABLES))
        _write_year(ret, shape)
        _write_other_tables(ret, shape)
        out.append(ret)
    return out


def _write_year(ret: Return, shape: CaseloadShape) -> None:
    with ret.header.open("w", newline="") as hf, ret.episodes.open("w", newline="") as ef, \
            ret.reviews.open("w", newline="") as rf, ret.xml.open("wb") as xf:
        header, episodes, reviews = csv.writer(hf), csv.writer(ef), csv.writer(rf)
        header.writerow(HEADER_COLUMNS)
        episodes.writerow(EPISODE_COLUMNS)
        reviews.writerow(REVIEW_COLUMNS)
        xf.write(b'<?xml version="1.0" encoding="utf-8"?>\n<EXPSSDA903>\n')
        for child in children_903(shape):
            eps, revs = in_year(child, ret.year)
            if not eps:
                continue
            dob = dmy(child.case.dob)
            header.writerow((child.case.case_id, child.sex(), dob, "WBRI", "", "", ""))
            episodes.writerows(episode_row(e) for e in eps)
            reviews.writerows((child.case.case_id, dob, dmy(r), "PN1") for r in revs)
            xf.write(child_xml(child, eps, revs, missing_rows(child, ret.year)))
        xf.write(b"</EXPSSDA903>\n")


def _write_other_tables(ret: Return, shape: CaseloadShape) -> None:
    first, last = year_bounds(ret.year)
    rows: dict[str, list[tuple[str, ...]]] = {"missing": [], "sw": [], "adoption": []}
    rows.update({name: [] for name in UNUSED_TABLES})
    for child in children_903(shape):
        cid, dob = child.case.case_id, dmy(child.case.dob)
        rows["missing"] += missing_rows(child, ret.year)
        rows["sw"] += [(cid, dob, sw, dmy(start), dmy(end if end is not None and end <= last else None),
                        "MGRDEC" if end is not None and end <= last else "")
                       for sw, start, end in child.workers if overlaps(start, end, ret.year)]
        rows["adoption"] += [(cid, dob, dmy(d), "", "") for d in child.authority if first <= d <= last]
        if in_year(child, ret.year)[0] and int(cid[1:]) % 7 == 0:  # a few rows of each table read for nothing
            rows["uasc"].append((cid, child.sex(), dob, ""))
            rows["oc2"].append((cid, dob, "12", "0", "1", "1", "1"))
            rows["oc3"].append((cid, dob, "YES", "F2", "S"))
            rows["ad1"].append((cid, dob, dmy(first), dmy(first), "0", "1"))
            rows["prevperm"].append((cid, dob, "Z1", "", ""))
    _write_table(ret.missing, MISSING_COLUMNS, rows["missing"])
    _write_table(ret.sw_episodes, SW_EPISODE_COLUMNS, rows["sw"])
    _write_table(ret.placed_adoption, PLACED_ADOPTION_COLUMNS, rows["adoption"])
    for path, (name, columns) in zip(ret.unused, UNUSED_TABLES.items(), strict=True):
        _write_table(path, columns, rows[name])


def _write_table(path: Path, columns: Sequence[str], rows: list[tuple[str, ...]]) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        w.writerows(rows)


def episode_row(e: Episode) -> tuple[str, ...]:
    return (e.child, dmy(e.decom), e.rne, e.ls, "N1", e.place, "PR1", dmy(e.dec), e.rec, "", "", "", "")


def missing_rows(child: Child903, year: int) -> list[tuple[str, ...]]:
    """The child's Missing rows in collection year `year` (an episode ended after the year has no MIS_END)."""
    last = year_bounds(year)[1]
    cid, dob = child.case.case_id, dmy(child.case.dob)
    return [(cid, dob, kind, dmy(start), dmy(end if end is not None and end <= last else None))
            for kind, start, end in child.missing if overlaps(start, end, year)]


def child_xml(child: Child903, episodes: Sequence[Episode], reviews: Sequence[date],
              missing: Sequence[tuple[str, ...]] = ()) -> bytes:
    root = ET.Element("CHILD")
    dob = dmy(child.case.dob)
    _group(root, "HEADER", zip(HEADER_COLUMNS, (child.case.case_id, child.sex(), dob, "WBRI", "", "", ""),
                               strict=True))
    group = ET.SubElement(root, "EPISODES")
    for e in episodes:
        _group(group, "EPISODE", zip(EPISODE_COLUMNS, episode_row(e), strict=True))
    for r in reviews:
        _group(root, "AREVIEW", zip(REVIEW_COLUMNS, (child.case.case_id, dob, dmy(r), "PN1"), strict=True))
    for row in missing:
        _group(root, "AMISSING", zip(MISSING_COLUMNS, row, strict=True))
    ET.indent(root)
    text: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return text + b"\n"


def _group(parent: ET.Element, tag: str, cells: Iterator[tuple[str, str]] | zip[tuple[str, str]]) -> None:
    group = ET.SubElement(parent, tag)
    for column, value in cells:
        if value:
            ET.SubElement(group, column).text = value


# -- messy returns ------------------------------------------------------------------------------------------

MESSY_KINDS = ("not_s_first", "rec_without_dec", "overlap", "duplicate_row", "unknown_place", "bad_date",
               "unknown_child", "future_decom", "bad_sex")


def make_messy(ret: Return, today: date) -> dict[str, int]:
    """Plant every irregularity into `ret`'s CSV files, in place; the line (episodes.csv, or header.csv for
    `bad_sex`) of each planted row by kind. Other rows are unchanged."""
    rows = _read(ret.episodes)
    planted: dict[str, int] = {}
    s_rows = [i for i, r in enumerate(rows) if r[2] == "S" and i + 1 < len(rows) and rows[i + 1][0] == r[0]]
    ended = [i for i, r in enumerate(rows) if r[7] and r[8] and i not in s_rows[:1]]
    i = s_rows[0]
    rows[i][2] = "P"
    planted["not_s_first"] = i
    j = next(k for k in ended if k != i)
    rows[j][7] = ""
    planted["rec_without_dec"] = j
    k = next(k for k in ended if k not in (i, j) and _days(rows[k]) > 2)
    inside = date.fromordinal(_ordinal(rows[k][1]) + 1)
    planted = {kind: index + (index > k) for kind, index in planted.items()}
    rows.insert(k + 1, [rows[k][0], dmy(inside), "P", rows[k][3], "N1", "U6", "PR1", "", "", "", "", "", ""])
    planted["overlap"] = k + 1
    extra = [
        ("duplicate_row", list(rows[0])),
        ("unknown_place", [rows[1][0], rows[1][1], "P", "C2", "N1", "Q9", "", "", "", "", "", "", ""]),
        ("bad_date", [rows[1][0], "31/02/2024", "P", "C2", "N1", "U6", "", "", "", "", "", "", ""]),
        ("unknown_child", ["NOSUCHCHILD", rows[1][1], "S", "C2", "N1", "U6", "", "", "", "", "", "", ""]),
        ("future_decom", [rows[1][0], dmy(date.fromordinal(today.toordinal() + 30)), "P", "C2", "N1", "U6",
                          "", "", "", "", "", "", ""]),
    ]
    for kind, row in extra:
        rows.append(row)
        planted[kind] = len(rows) - 1
    _write(ret.episodes, EPISODE_COLUMNS, rows)
    header = _read(ret.header)
    header[0][1] = "X"
    _write(ret.header, HEADER_COLUMNS, header)
    lines = {kind: index + 2 for kind, index in planted.items()}  # line 1 is the header row
    lines["bad_sex"] = 2
    return lines


def _days(row: list[str]) -> int:
    return _ordinal(row[7]) - _ordinal(row[1])


def _ordinal(text: str) -> int:
    d, m, y = (int(p) for p in text.split("/"))
    return date(y, m, d).toordinal()


def _read(path: Path) -> list[list[str]]:
    with path.open(newline="") as f:
        return list(csv.reader(f))[1:]


def _write(path: Path, header: Sequence[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
