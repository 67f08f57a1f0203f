"""SSDA903 code lists (DfE children looked after return, collection years 2022-23 onwards) and the mapping of
PLACE codes to ptrack placement kinds (docs/importing.md).

Earlier years' codes that later years dropped (Z1, H5) are still accepted so that old returns import."""

from __future__ import annotations

from ptrack.tracker.model import PLACEMENT_KINDS

SEX_CODES = frozenset({"1", "2", "M", "F", "U"})
RNE_CODES = frozenset({"S", "L", "P", "T", "U", "B"})
# Reasons for new episode that start a placement; L changes legal status only.
PLACEMENT_RNE = frozenset({"S", "P", "T", "U", "B"})
LS_CODES = frozenset({"C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4"})
SHORT_BREAK_LS = frozenset({"V3", "V4"})
REC_CODES = frozenset({
    "E11", "E12", "E13", "E14", "E15", "E16", "E17", "E2", "E3", "E4A", "E4B", "E41", "E45", "E46", "E47", "E48",
    "E5", "E6", "E7", "E8", "E9", "X1",
})
CONTINUES = "X1"  # episode ends but the period of care continues
FOSTER = frozenset({"U1", "U2", "U3", "U4", "U5", "U6"})
LONG_TERM_FOSTER = frozenset({"U1", "U4"})  # long-term fostering: intended to last until 18
ADOPTION = frozenset({"A3", "A4", "A5", "A6"})
RESIDENTIAL = frozenset({"K1", "K2", "R1", "R2", "R3", "R5"})
PLACE_CODES = FOSTER | ADOPTION | RESIDENTIAL | frozenset({
    "H5", "K3", "P1", "P2", "P3", "S1", "T0", "T1", "T2", "T3", "T4", "Z1", "Z11", "Z12", "Z13", "Z14",
})
REVIEW_CODES = frozenset({"PN0", "PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7"})


def placement_kind(place: str, connected_codes: frozenset[str]) -> tuple[str, bool | None]:
    """(placement kind, intended until 18) for a known PLACE code. A council's connected-person codes (config
    `import.connected_person_place_codes`, typically U1-U3: placed with a relative or friend) win over foster."""
    intended = place in LONG_TERM_FOSTER if place in FOSTER else None
    if place in connected_codes:
        kind = "connected_person"
    elif place in FOSTER:
        kind = "foster"
    elif place == "P1":
        kind = "with_parent"
    elif place in RESIDENTIAL:
        kind = "residential"
    elif place in ADOPTION:
        kind = "adoption"
    else:
        kind = "other"
    assert kind in PLACEMENT_KINDS
    return kind, intended


def code_reason(column: str, value: str, allowed: frozenset[str]) -> str | None:
    """Why `value` is not an acceptable code for `column` (None when it is)."""
    if value in allowed:
        return None
    if not value:
        return "required"
    names = {"PLACE": "placement code", "RNE": "reason for new episode", "LS": "legal status",
             "REC": "reason episode ceased", "SEX": "sex code", "REVIEW_CODE": "participation code"}
    return f"unknown {names.get(column, 'code')} {value!r}"
