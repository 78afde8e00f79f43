"""Channel-neutral message types: what a channel hands the engine and what it gets back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Telegram limits callback data to 64 bytes; every payload must fit on every channel.
MAX_PAYLOAD_BYTES = 64


@dataclass(frozen=True)
class Incoming:
    """One message or button press from a user, already translated by a channel.

    `address` is channel-qualified (`tg:12345`, `mx:@anna:example.org`, `console:local`).
    Exactly one of `text` and `payload` is normally set; `payload` is a pressed button's payload.
    """

    address: str
    text: str | None = None
    payload: str | None = None
    lang_hint: str | None = None

    @property
    def channel(self) -> str:
        return self.address.split(":", 1)[0]


@dataclass(frozen=True)
class Button:
    label: str
    payload: str
    # What typing a word means at this button's step: "yes", "no", "next", "back", "skip", "done",
    # "cancel", "restart" or "more", several separated by spaces ("skip next"); see knowledge/reading.py.
    meaning: str = ""

    def __post_init__(self) -> None:
        if len(self.payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"button payload longer than {MAX_PAYLOAD_BYTES} bytes: {self.payload!r}")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str


@dataclass
class Reply:
    """One message to show. `text` is plain text; channels escape it for their markup.

    `buttons` is a list of rows. `replaces_pressed` asks a channel that can edit messages to
    edit the message whose button was pressed instead of sending a new one.
    """

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    replaces_pressed: bool = False

    def all_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def choose(text: str, options: list[tuple[str, str]]) -> str | None:
    """The payload an answer picks from numbered options (label, payload): its number, or an option's exact text.

    For channels without buttons (Matrix, the console)."""
    answer = text.strip().rstrip(".")
    if answer.isdigit():
        number = int(answer)
        return options[number - 1][1] if 1 <= number <= len(options) else None
    wanted = _norm(text)
    for label, payload in options:
        if _norm(label) == wanted or _norm(label.lstrip("✓ ")) == wanted:
            return payload
    return None
