"""A real SMTP server (aiosmtpd) for the e-mail tests, and helpers that read what it received."""

from __future__ import annotations

import email
import re
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller
from icalendar import Calendar

PUBLIC = "https://bord.example.org"
LINK = re.compile(r"https?://[^/\s]+(/answer/\S+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Handler:
    """Accepts mail, except: addresses in `bounce` get 550 at RCPT; each reply in `refuse` answers one DATA."""

    received: list[tuple[list[str], bytes]] = field(default_factory=list)
    bounce: set[str] = field(default_factory=set)
    refuse: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.bounce:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse.pop(0)
        self.received.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    def mails(self, to: str | None = None) -> list[EmailMessage]:
        return [parse(content) for rcpts, content in self.received if to is None or to in rcpts]


class SmtpServer:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = Handler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> "SmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def parse(content: bytes) -> EmailMessage:
    return email.message_from_bytes(content, policy=default)  # type: ignore[return-value]


def part(message: EmailMessage, content_type: str):
    return next(p for p in message.walk() if p.get_content_type() == content_type)


def plain(message: EmailMessage) -> str:
    return part(message, "text/plain").get_content()


def calendar(message: EmailMessage) -> tuple[str, Calendar]:
    """The iMIP part's method parameter and its calendar object."""
    found = part(message, "text/calendar")
    return found.get_param("method"), Calendar.from_ical(found.get_content())


def event(message: EmailMessage):
    return calendar(message)[1].walk("VEVENT")[0]


def links(message: EmailMessage) -> dict[str, str]:
    """The answer links of the plain text by label: {"Ja, jag kommer": path, ...}."""
    found = {}
    for line in plain(message).splitlines():
        label, _, url = line.partition(": ")
        match = LINK.fullmatch(url.strip())
        if match:
            found[label] = match[1]
    return found
