"""The SSD tables behind the rest of the statutory timetable (docs/importing.md), beside `ssd.py`:

| table | gives |
|---|---|
| `ssd_legal_status` | a V3/V4 status (short breaks, reg 48) marks the period starting that day as short breaks |
| `ssd_missing` | `missing_start` / `missing_end` (type Missing or Away); whether a return home interview was |
|  | offered or accepted is kept in the end event's note: the SSD has no interview date |
| `ssd_cla_health` | `health_assessment` (status Completed only); `clah_health_check_type` is free text, mapped by |
|  | config `[import.health_check_types]` to initial, review, dental or other; an unmapped type is |
|  | rejected with the reason, never guessed; dental checks are not health assessments: not stored |
| `ssd_care_leavers` | `pa_visit` on `clea_care_leaver_latest_contact`, `pathway_plan_reviewed` on |
|  | `clea_pathway_plan_review_date`: the latest dates only, so they anchor the next due date |
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from ptrack.tracker.importing.formats import Context, Record, RowError
from ptrack.tracker.importing.report import Reject
from ptrack.tracker.importing.ssd import Lookups, Mapper, SsdFormat, _event, code, ident, ssd_date
from ptrack.tracker.importing.ssda903_codes import SHORT_BREAK_LS

RHI_NOTE = ("SSD records whether a return home interview was offered ({offered}) and accepted ({accepted}), not "
            "its date: whether it happened within 72 hours cannot be judged from the SSD")
LATEST_NOTE = ("the latest {what} in ssd_care_leavers: earlier ones are not in the extract, so it anchors the "
               "next due date only")


def legal_status_row(values: Mapping[str, str], ctx: Context, _: Lookups) -> list[Record | Reject]:
    status = ident(values, "lega_legal_status_id")
    person = ident(values, "lega_person_id")
    if code(values.get("lega_legal_status", "")) not in SHORT_BREAK_LS:
        return []  # other legal statuses change no deadline
    start = ssd_date(values, "lega_legal_status_start_date", required=True)
    assert start is not None
    return [_event(ctx, person, "looked_after_start", start, "lega_legal_status_start_date",
                   f"ssd:ls:{status}:looked_after_start", short_break=True,
                   note=f"legal status {code(values['lega_legal_status'])}: short breaks (reg 48)")]


def missing_row(values: Mapping[str, str], ctx: Context, _: Lookups) -> list[Record | Reject]:
    row = ident(values, "miss_table_id")
    person = ident(values, "miss_person_id")
    start = ssd_date(values, "miss_missing_episode_start_date", required=True)
    assert start is not None
    text = values.get("miss_missing_episode_type", "").strip().lower()
    sub = "away" if text.startswith(("away", "a")) and not text.startswith("m") else "missing"
    if text and not text.startswith(("m", "a")):
        raise RowError("miss_missing_episode_type", f"{text!r} is neither Missing nor Away")
    out: list[Record | Reject] = [_event(ctx, person, "missing_start", start, "miss_missing_episode_start_date",
                                         f"ssd:miss:{row}:start", subkind=sub)]
    end = ssd_date(values, "miss_missing_episode_end_date")
    if end is not None:
        if end < start:
            return [*out, Reject("", 0, "miss_missing_episode_end_date",
                                 f"{end.isoformat()} is before the start {start.isoformat()}")]
        offered = values.get("miss_missing_rhi_offered", "").strip().upper() or "not recorded"
        accepted = values.get("miss_missing_rhi_accepted", "").strip().upper() or "not recorded"
        out.append(_event(ctx, person, "missing_end", end, "miss_missing_episode_end_date", f"ssd:miss:{row}:end",
                          subkind=sub, note=RHI_NOTE.format(offered=offered, accepted=accepted)))
    return out


def health_row(values: Mapping[str, str], ctx: Context, _: Lookups) -> list[Record | Reject]:
    check = ident(values, "clah_health_check_id")
    person = ident(values, "clah_person_id")
    if values.get("clah_health_check_status", "").strip().lower() not in ("completed", "complete"):
        return []  # booked, cancelled, refused...: only a completed check is evidence
    text = " ".join(values.get("clah_health_check_type", "").split()).lower()
    klass = ctx.options.health_check_types.get(text)
    if klass is None:
        raise RowError("clah_health_check_type", f"{text!r} is not mapped: add it to [import.health_check_types] "
                       "in ptrack.toml as initial, review, dental or other (it is never guessed)")
    if klass == "dental":
        return []  # a dental check is not a health assessment
    when = ssd_date(values, "clah_health_check_date", required=True)
    assert when is not None
    return [_event(ctx, person, "health_assessment", when, "clah_health_check_date", f"ssd:health:{check}",
                   subkind=klass)]


def care_leaver_row(values: Mapping[str, str], ctx: Context, _: Lookups) -> list[Record | Reject]:
    person = ident(values, "clea_person_id")
    out: list[Record | Reject] = []
    for column, kind, what in (("clea_care_leaver_latest_contact", "pa_visit", "contact"),
                               ("clea_pathway_plan_review_date", "pathway_plan_reviewed", "pathway plan review")):
        try:
            when = ssd_date(values, column)
            if when is not None:
                out.append(_event(ctx, person, kind, when, column, f"ssd:cl:{person}:{when.isoformat()}:{kind}",
                                  note=LATEST_NOTE.format(what=what)))
        except RowError as exc:
            out.append(Reject("", 0, exc.column, exc.reason))
    return out


def _fmt(name: str, keys: set[str], mapper: Mapper) -> SsdFormat:
    return SsdFormat(name, "events", frozenset(keys), mapper)


class HealthFormat(SsdFormat):
    """`ssd_cla_health`: read only once the council has mapped its check types; until then the file is
    reported as not used (every row would otherwise be an unmapped type)."""

    def note_for(self, ctx: Context) -> str:
        if ctx.options.health_check_types:
            return ""
        return ("ssd_cla_health: not used for deadlines: no [import.health_check_types] in ptrack.toml maps this "
                "council's check types to initial, review, dental or other")

    def records(self, path: Path, ctx: Context) -> Iterator[tuple[int, Record] | Reject]:
        if ctx.options.health_check_types:
            yield from super().records(path, ctx)


SSD_MORE_FORMATS = (
    _fmt("ssd_legal_status", {"lega_legal_status_id", "lega_person_id", "lega_legal_status"}, legal_status_row),
    _fmt("ssd_missing", {"miss_table_id", "miss_person_id", "miss_missing_episode_start_date"}, missing_row),
    HealthFormat("ssd_cla_health", "events",
                 frozenset({"clah_health_check_id", "clah_person_id", "clah_health_check_type"}), health_row),
    _fmt("ssd_care_leavers", {"clea_table_id", "clea_person_id"}, care_leaver_row),
)
