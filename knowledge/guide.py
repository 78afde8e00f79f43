"""A founder's way through the start guide: plain data and pure functions, no I/O.

A step is done, skipped (an open question to bring to a meeting) or not reached yet. `current` is
the step the founder is looking at; None once every step is done or skipped. Statuses of steps that
are no longer in the guide (a coordinator removed one) are kept but ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

from .model import GuideStep

DONE = "done"
SKIPPED = "skipped"
STATUSES = (DONE, SKIPPED)
MAX_NOTES = 10
NOTE_MAX_CHARS = 300


@dataclass(frozen=True)
class Progress:
    current: str | None = None
    statuses: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # the founder's own questions for the meeting

    @property
    def started(self) -> bool:
        return bool(self.current or self.statuses or self.notes)


@dataclass(frozen=True)
class Standing:
    """Where a founder stands, in guide order: for the overview, the checklist and the officials."""

    done: tuple[GuideStep, ...]
    skipped: tuple[GuideStep, ...]
    remaining: tuple[GuideStep, ...]  # not reached yet, the current step included
    current: GuideStep | None
    total: int

    @property
    def finished(self) -> bool:
        return self.total > 0 and not self.remaining and self.current is None


def index_of(steps: Sequence[GuideStep], step_id: str | None) -> int | None:
    return next((i for i, s in enumerate(steps) if s.id == step_id), None)


def _closed(step: GuideStep, statuses: dict[str, str]) -> bool:
    return statuses.get(step.id) in STATUSES


def next_open(steps: Sequence[GuideStep], statuses: dict[str, str], after: int = -1) -> int | None:
    """The first step after `after` that is neither done nor skipped; else the first such step before it."""
    order = list(range(after + 1, len(steps))) + list(range(0, min(after + 1, len(steps))))
    return next((i for i in order if not _closed(steps[i], statuses)), None)


def current_step(steps: Sequence[GuideStep], progress: Progress) -> GuideStep | None:
    """The step to show: the remembered one while it exists, else the first open one."""
    i = index_of(steps, progress.current)
    if i is None:
        i = next_open(steps, progress.statuses)
    return steps[i] if i is not None else None


def begin(steps: Sequence[GuideStep], progress: Progress) -> Progress:
    """Open the guide where the founder left it (the first step for a newcomer)."""
    step = current_step(steps, progress)
    if step is None and steps and not progress.statuses:
        step = steps[0]
    return replace(progress, current=step.id if step else None)


def mark(steps: Sequence[GuideStep], progress: Progress, step_id: str, status: str) -> Progress:
    """Mark a step done or skipped and move on to the next open step (None when all are closed)."""
    if status not in STATUSES:
        raise ValueError(status)
    i = index_of(steps, step_id)
    if i is None:
        raise KeyError(step_id)
    statuses = {**progress.statuses, step_id: status}
    nxt = next_open(steps, statuses, i)
    return replace(progress, statuses=statuses, current=steps[nxt].id if nxt is not None else None)


def back(steps: Sequence[GuideStep], progress: Progress, step_id: str) -> Progress:
    """Go to the step before `step_id` (whatever its status), or stay on the first."""
    i = index_of(steps, step_id)
    if i is None:
        raise KeyError(step_id)
    return replace(progress, current=steps[max(i - 1, 0)].id)


def add_note(progress: Progress, text: str) -> Progress:
    """Add one of the founder's own questions; the oldest goes when there are too many."""
    note = text.strip()[:NOTE_MAX_CHARS]
    if not note:
        return progress
    return replace(progress, notes=(*progress.notes, note)[-MAX_NOTES:])


def standing(steps: Sequence[GuideStep], progress: Progress) -> Standing:
    current = current_step(steps, progress) if progress.started else None
    statuses = progress.statuses
    return Standing(
        done=tuple(s for s in steps if statuses.get(s.id) == DONE),
        skipped=tuple(s for s in steps if statuses.get(s.id) == SKIPPED),
        remaining=tuple(s for s in steps if not _closed(s, statuses)),
        current=current,
        total=len(steps),
    )
