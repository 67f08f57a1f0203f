"""SSDA903 as the XML return: root `EXPSSDA903`, one `CHILD` element per child holding a `HEADER`, its
`EPISODE`s, `AREVIEW`s and `AMISSING`s (optionally inside grouping elements such as `EPISODES`), one element per
903 column (`<DECOM>01/04/2023</DECOM>`). Other groups (UASC, OC2, OC3, PREV_PERM...) are skipped.

The file is streamed through expat in blocks; every record and reject carries the line where its group
ends, and only the open groups' cells are held, so memory stays bounded whatever the size of the return. A file
that is not well-formed XML keeps what was mapped before the error and rejects the rest at the line expat names.

A return has no DTD: a file declaring an entity (or any DTD with an internal subset) is refused before any of it
is expanded, so entity expansion ("billion laughs", one entity referenced millions of times) costs nothing. An
element's text counts against `MAX_XML_CELL` characters as it arrives: past it the cell is rejected, not held."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from ptrack.tracker.errors import ImportFileError
from ptrack.tracker.importing.formats import Context
from ptrack.tracker.importing.limits import MAX_XML_CELL
from ptrack.tracker.importing.report import Reject
from ptrack.tracker.importing.ssda903 import SOURCE, Item, Return903

ROOT = "EXPSSDA903"
_GROUPS = {"HEADER": "header", "EPISODE": "episode", "AREVIEW": "review", "AMISSING": "missing"}
BLOCK = 64 * 1024


class _Refused(Exception):
    """The file declares something a return never has (an entity, a DTD subset): refused as a whole."""


def _refuse_entity(name: str, *_: object) -> None:
    raise _Refused(f"it declares the XML entity {name[:40]!r}; an SSDA903 return declares none (entities can "
                   "expand without bound)")


def _refuse_subset(name: str, _sysid: object, _pubid: object, has_internal_subset: int) -> None:
    if has_internal_subset:
        raise _Refused("it has a DTD with an internal subset (<!DOCTYPE ... [ ]>), where entities that expand "
                       "without bound are declared; an SSDA903 return has none")


def _guarded_parser() -> expat.XMLParserType:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse_subset
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_entity
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def is_903_xml(path: Path) -> bool:
    """True when the file's first element is `<EXPSSDA903>` (read from at most the first 4 KiB)."""
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    parser = _guarded_parser()
    first: list[str] = []

    def start(tag: str, _attrs: object) -> None:
        first.append(tag)
        raise StopIteration

    parser.StartElementHandler = start
    try:
        parser.Parse(head, False)
    except StopIteration:
        pass
    except _Refused:
        return head.lstrip().startswith(b"<?xml") or b"<" + ROOT.encode() in head
    except expat.ExpatError:
        return False
    return bool(first) and first[0] == ROOT


class _Frame:
    __slots__ = ("group", "leaf", "tag", "text", "size")

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.leaf = True  # no child element seen
        self.text: list[str] = []
        self.size = 0
        self.group: dict[str, str] | None = None  # the cells of a HEADER, EPISODE or AREVIEW


class _Reader:
    def __init__(self, path: Path, ctx: Context) -> None:
        self.path = path
        self.mapper = Return903(path.name, ctx)
        self.parser = _guarded_parser()
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.stack: list[_Frame] = []
        self.child_id = ""
        self.out: list[Item] = []

    def items(self) -> Iterator[Item]:
        try:
            with self.path.open("rb") as f:
                for block in iter(lambda: f.read(BLOCK), b""):
                    self.parser.Parse(block, False)
                    yield from self._drain()
                self.parser.Parse(b"", True)
                yield from self._drain()
        except _Refused as exc:
            raise ImportFileError(f"{self.path}: refused: {exc}; nothing was imported from it") from None
        except expat.ExpatError as exc:
            yield from self._drain()
            where = exc.lineno or self.parser.CurrentLineNumber
            yield Reject(self.path.name, where, "xml",
                         f"not well-formed XML ({expat.ErrorString(exc.code)}); the rest is not read")
        except OSError as exc:
            raise ImportFileError(f"{self.path}: cannot read the file: {exc.strerror or exc}") from exc

    def _drain(self) -> list[Item]:
        out, self.out = self.out, []
        return out

    def _start(self, tag: str, _attrs: object) -> None:
        if self.stack:
            parent = self.stack[-1]
            parent.leaf = False
            parent.text = []
        frame = _Frame(tag)
        if tag in _GROUPS:
            frame.group = {}
        self.stack.append(frame)

    def _text(self, data: str) -> None:
        frame = self.stack[-1] if self.stack else None
        if frame is None or not frame.leaf:
            return
        room = MAX_XML_CELL + 1 - frame.size  # more than a cell may hold is counted, not kept
        frame.size += len(data)
        if room > 0:
            frame.text.append(data[:room])

    def _end(self, tag: str) -> None:
        frame = self.stack.pop()
        depth = len(self.stack)  # as ElementTree's depth after the element's end
        line = self.parser.CurrentLineNumber
        parent = self.stack[-1] if self.stack else None
        if frame.leaf:
            text = "".join(frame.text).strip()  # past MAX_XML_CELL: longer than any cell, its check rejects it
            if parent is not None and parent.group is not None:
                parent.group[tag.lower()] = text
            if tag == "CHILD" and depth >= 2:
                self.child_id = text  # the CHILD field of a HEADER, seen before its group
                return
        if frame.group is not None:
            values = frame.group
            if not values.get("child"):
                values["child"] = self.child_id
            self.out.extend(getattr(self.mapper, _GROUPS[tag])(values, line))
        elif tag == "CHILD":
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
