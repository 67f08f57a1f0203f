"""SSDA903 as the XML return: root `EXPSSDA903`, one `CHILD` element per child holding a `HEADER`, its
`EPISODE`s, `AREVIEW`s and `AMISSING`s (optionally inside grouping elements such as `EPISODES`), one element per
903 column (`<DECOM>01/04/2023</DECOM>`). Other groups (UASC, OC2, OC3, PREV_PERM...) are skipped.

The file is streamed with ElementTree's pull parser (the machinery of `iterparse`), fed line by line so every
record and reject carries the line where its group ends; each `CHILD` is cleared once mapped, so memory stays
bounded by one child whatever the size of the return. A file that is not well-formed XML keeps what was mapped
before the error and rejects the rest at the line expat names."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from ptrack.tracker.errors import ImportFileError
from ptrack.tracker.importing.formats import Context
from ptrack.tracker.importing.report import Reject
from ptrack.tracker.importing.ssda903 import SOURCE, Item, Return903

ROOT = "EXPSSDA903"
_GROUPS = {"HEADER": "header", "EPISODE": "episode", "AREVIEW": "review", "AMISSING": "missing"}


def is_903_xml(path: Path) -> bool:
    """True when the file's first element is `<EXPSSDA903>` (read from at most the first 4 KiB)."""
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start",))
    try:
        parser.feed(head)
        for pair in parser.read_events():
            return cast(tuple[str, ET.Element], pair)[1].tag == ROOT
    except ET.ParseError:
        return False
    return False


def _values(group: ET.Element, child_id: str) -> dict[str, str]:
    values = {el.tag.lower(): (el.text or "").strip() for el in group if len(el) == 0}
    if not values.get("child"):
        values["child"] = child_id
    return values


class _Reader:
    def __init__(self, path: Path, ctx: Context) -> None:
        self.path = path
        self.mapper = Return903(path.name, ctx)
        self.parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
        self.depth = 0
        self.child_id = ""
        self.root: ET.Element | None = None

    def items(self) -> Iterator[Item]:
        line = 0
        try:
            with self.path.open("rb") as f:
                for line, text in enumerate(f, start=1):
                    self.parser.feed(text)
                    yield from self._events(line)
                self.parser.close()
                yield from self._events(line)
        except ET.ParseError as exc:
            where = exc.position[0] if exc.position else line
            yield Reject(self.path.name, where, "xml", f"not well-formed XML ({exc}); the rest is not read")
        except OSError as exc:
            raise ImportFileError(f"{self.path}: cannot read the file: {exc.strerror or exc}") from exc

    def _events(self, line: int) -> Iterator[Item]:
        for pair in self.parser.read_events():
            event, element = cast(tuple[str, ET.Element], pair)
            if event == "start":
                self.depth += 1
                if self.depth == 1:
                    self.root = element
                continue
            self.depth -= 1
            yield from self._end(element, line)

    def _end(self, element: ET.Element, line: int) -> Iterator[Item]:
        tag = element.tag
        if tag == "CHILD" and len(element) == 0 and self.depth >= 2:
            self.child_id = (element.text or "").strip()  # the CHILD field of a HEADER, seen before its group
        elif tag in _GROUPS:
            handle = getattr(self.mapper, _GROUPS[tag])
            yield from handle(_values(element, self.child_id), line)
        elif tag == "CHILD":
            element.clear()  # the child is mapped: keep memory bounded
            if self.root is not None and self.depth == 1:
                self.root.remove(element)
            self.child_id = ""


@dataclass(frozen=True)
class Xml903Format:
    """The XML return: cases (HEADER) and events (EPISODE, AREVIEW) from one file."""

    name: str = "ssda903_xml"
    target: str = "cases"  # it holds cases: imported with the cases files, before other events files
    source: str = SOURCE

    def missing_columns(self, header: Sequence[str]) -> list[str]:
        return [] if header == [ROOT.lower()] else [f"<{ROOT}> root element"]

    def records(self, path: Path, ctx: Context) -> Iterator[Item]:
        yield from _Reader(path, ctx).items()


SSDA903_XML = Xml903Format()
