"""What the bot remembers of the conversation between two messages, besides the flow's own state.

- `Pending`: the options the last reply showed (labels, payloads, what typing "ja" or "nästa" means),
  so a typed "2", "ja" or an option's text is read against them on every channel and after a restart.
- `Context`: the FAQ entry the last answer was about, so a follow-up ("och hur ansöker man?") keeps
  its subject for a short while.
Both are plain data, stored as JSON with the user (bot/engine.py: UserStore).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from knowledge.reading import Option

from .messages import Button, Reply

# Options shown outside a flow (an answer's "Boka möte", the guide's step) stay readable this long;
# a flow's options live as long as the flow.
OPTIONS_TTL = timedelta(hours=2)
# A follow-up leans on the last answer only this soon after it.
CONTEXT_TTL = timedelta(minutes=15)


@dataclass(frozen=True)
class Pending:
    """The options of the last reply that had any, in the order a channel numbers them."""

    prompt: str  # the text of the last reply with options: shown again with them
    rows: tuple[tuple[Option, ...], ...]
    at: datetime
    step: str | None = None  # "<flow>.<step>" the options belong to, None outside a flow
    accepts_time: bool = False  # the step also takes a day and time in words
    # Rows before this one came with an answer given in passing (a question asked mid-flow): they are read
    # (the channels numbered them) but not shown again with the prompt.
    own_from: int = 0

    @property
    def options(self) -> list[Option]:
        return [o for row in self.rows for o in row]

    @property
    def own_scopes(self) -> list[str]:
        """The payload prefixes of the options its own prompt shows ("gd" for a guide step), in order."""
        return list(dict.fromkeys(o.payload.partition(":")[0] for row in self.rows[self.own_from:] for o in row))

    def fresh(self, now: datetime, step: str | None) -> bool:
        """Still the options to read a message against: the same flow step, or recent enough outside one."""
        if self.step is not None:
            return self.step == step
        return step is None and now - self.at <= OPTIONS_TTL

    def reply(self, lead: str | None = None) -> Reply:
        """The options again, with their prompt (or `lead` before it)."""
        text = f"{lead}\n\n{self.prompt}" if lead and self.prompt else (lead or self.prompt)
        buttons = [[Button(o.label, o.payload, o.meaning) for o in row] for row in self.rows[self.own_from:]]
        return Reply(text, buttons=buttons)

    def to_json(self) -> str:
        return json.dumps({
            "prompt": self.prompt, "at": self.at.isoformat(), "step": self.step, "time": self.accepts_time,
            "own": self.own_from,
            "rows": [[[o.label, o.payload, o.meaning] for o in row] for row in self.rows],
        }, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | None) -> "Pending | None":
        if not raw:
            return None
        try:
            data = json.loads(raw)
            rows = tuple(tuple(Option(str(o[0]), str(o[1]), str(o[2])) for o in row) for row in data["rows"])
            own_from = min(max(int(data.get("own") or 0), 0), max(len(rows) - 1, 0))
            return cls(str(data["prompt"]), rows, datetime.fromisoformat(data["at"]), data.get("step"),
                       bool(data.get("time")), own_from)
        except (ValueError, KeyError, TypeError, IndexError):
            return None  # an unreadable row is no options, not an error


def pending_from(replies: list[Reply], now: datetime, step: str | None,
                 accepts_time: Callable[[str | None], bool], again: Pending | None = None) -> Pending | None:
    """The options these replies show, numbered across them as the channels number them.

    `again` is the pending these replies asked again (last, after an answer in passing): its prompt and its
    own options stay the ones shown again next time, so a second question mid-flow does not pile up leads
    and the answers' buttons."""
    rows: list[tuple[Option, ...]] = []
    prompt = ""
    for reply in replies:
        if reply.buttons:
            rows += [tuple(Option(b.label, b.payload, b.meaning) for b in row) for row in reply.buttons if row]
            prompt = reply.text
    if not rows:
        return None
    if again is not None:
        own = again.rows[again.own_from:]
        if own and tuple(rows[-len(own):]) == own:
            return Pending(again.prompt, tuple(rows), now, step, accepts_time(step), len(rows) - len(own))
    return Pending(prompt, tuple(rows), now, step, accepts_time(step))


@dataclass(frozen=True)
class Context:
    """The subject of the last answer: which entry, when, and a digest of the answer as it read then (an answer
    changed since is no answer "just given")."""

    entry_id: str
    at: datetime
    shown: str = ""

    def fresh(self, now: datetime) -> bool:
        return timedelta(0) <= now - self.at <= CONTEXT_TTL

    def to_json(self) -> str:
        return json.dumps({"entry": self.entry_id, "at": self.at.isoformat(), "shown": self.shown})

    @classmethod
    def from_json(cls, raw: str | None) -> "Context | None":
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return cls(str(data["entry"]), datetime.fromisoformat(data["at"]), str(data.get("shown", "")))
        except (ValueError, KeyError, TypeError):
            return None
