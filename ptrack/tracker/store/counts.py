"""What a bulk write did, shared by the writers of cases, people and events."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class WriteCounts:
    """What a bulk write did: rows new, identical to what was stored, or different (updated)."""

    loaded: int = 0
    unchanged: int = 0
    corrected: int = 0
    affected_cases: set[str] = field(default_factory=set)

    def add(self, other: WriteCounts) -> None:
        self.loaded += other.loaded
        self.unchanged += other.unchanged
        self.corrected += other.corrected
        self.affected_cases |= other.affected_cases
