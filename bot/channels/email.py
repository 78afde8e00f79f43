"""The e-mail channel: officials told by e-mail (`Official.notify_via`) get the chat's messages as mails.

The notifier routes "mail:<address>" here (`EmailChannel.deliver`). Each reply becomes one mail, in the official's
language, multipart/alternative: the text as plain text and as escaped HTML, and the meeting's calendar object (the
.ics the chat attaches, built by booking/calendar.py) as an iMIP part `text/calendar; method=REQUEST|CANCEL`, so
calendar programs show a meeting request and keep one event per meeting (same UID, higher SEQUENCE). The chat's
answer buttons (`mt:acc|dec:<ref>:<version>`) become signed one-click links to `<public address>/answer/<token>`
(bot/signing.py, bot/web_answers.py). Mails are queued in the database and sent by `MailQueue`
(bot/channels/mail_queue.py) through SMTP (`SmtpTransport`, DUKAT_SMTP_*) or, without DUKAT_SMTP_HOST, written as
.eml files to the data directory's mail folder (`EmlTransport`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiosmtplib
from icalendar import Calendar, vCalAddress

from booking import repository as repo
from booking.model import MAIL_PREFIX, MeetingNotFound, Official

from ..html import paragraphs, render
from ..messages import Button, Reply
from ..notify import Undeliverable
from .mail_queue import MailQueue, PermanentFailure, TemporaryFailure, is_undeliverable

if TYPE_CHECKING:
    from ..app import App
    from ..config import Settings
    from ..signing import AnswerLinks

log = logging.getLogger(__name__)

SENDER_NAME = "Dukat bord"
SUBJECT_MAX = 120
DEFAULT_PORTS = {"tls": 465, "starttls": 587, "none": 25}
SMTP_TIMEOUT = 60.0
ANSWER_PREFIX = "mt"  # the chat's answer buttons: mt:acc:<ref>:<version>, mt:dec:<ref>:<version>



def sender_address(settings: "Settings") -> str:
    """DUKAT_MAIL_FROM, else dukat-bord@<host of the public address> (localhost for an IP address)."""
    if settings.mail_from:
        return settings.mail_from
    host = urlsplit(settings.web_base_url()).hostname or "localhost"
    try:
        ipaddress.ip_address(host)
        host = "localhost"
    except ValueError:
        pass
    return f"dukat-bord@{host}"


def mail_address(address: str) -> str:
    """The e-mail address of a notifier address "mail:<e-mail>"."""
    return address.split(":", 1)[1]


class EmailChannel:
    """The notifier's "mail" route: words nothing itself (the replies are the chat's), builds and queues mails."""

    def __init__(self, app: "App", links: "AnswerLinks", sender: str) -> None:
        self.app = app
        self.links = links
        self.sender = sender
        self.queue: MailQueue | None = None  # set when the app is wired

    async def deliver(self, address: str, replies: list[Reply]) -> None:
        email = mail_address(address)
        if await is_undeliverable(self.app.db, email):
            raise Undeliverable(f"{MAIL_PREFIX} address refused before")
        async with self.app.db.read() as conn:
            official = await repo.official_by_email(conn, email)
        assert self.queue is not None
        for reply in replies:
            await self.queue.enqueue(email, await self.compose(email, official, reply))

    def t(self, lang: str, key: str, **params: object) -> str:
        return self.app.catalogue.text(lang, key, **params)

    async def compose(self, to: str, official: Official | None, reply: Reply) -> bytes:
        """One mail for one reply: plain text, HTML, the calendar request; answer buttons as signed links."""
        lang = official.lang if official else self.app.settings.default_lang
        first_line = reply.text.strip().split("\n", 1)[0]
        if len(first_line) > SUBJECT_MAX:
            first_line = first_line[:SUBJECT_MAX - 1].rstrip() + "…"
        subject = self.t(lang, "mail.subject", line=first_line)
        links = [link for b in reply.all_buttons() if (link := await self.answer_link(official, b))]
        footer = self.t(lang, "mail.footer")
        plain = reply.text.strip()
        if links:
            plain += "\n\n" + "\n".join(f"{label}: {url}" for label, url in links)
            plain += "\n\n" + self.t(lang, "mail.links_hint")
        plain += "\n\n-- \n" + footer + "\n"

        message = EmailMessage(policy=SMTP)
        message["Subject"] = subject
        message["From"] = formataddr((SENDER_NAME, self.sender))
        message["To"] = to
        message["Date"] = format_datetime(self.app.clock.now())
        message["Message-ID"] = make_msgid(domain=self.sender.rsplit("@", 1)[1])
        message["Auto-Submitted"] = "auto-generated"  # no out-of-office replies to the bot
        message.set_content(plain)
        message.add_alternative(render(
            "mail.html", lang=lang, subject=subject, paragraphs=paragraphs(reply.text), links=links,
            links_hint=self.t(lang, "mail.links_hint"), footer=footer), subtype="html")
        for attachment in reply.attachments:
            if attachment.mime_type == "text/calendar":
                calendar, method = self.itip(attachment.content)
                # The iMIP part a calendar program reads as the request, and the same object as a file.
                message.add_alternative(calendar.decode("utf-8"), subtype="calendar", params={"method": method})
                message.add_attachment(calendar, maintype="application", subtype="ics", filename=attachment.filename)
            else:
                maintype, _, subtype = attachment.mime_type.partition("/")
                message.add_attachment(attachment.content, maintype=maintype, subtype=subtype or "octet-stream",
                                       filename=attachment.filename)
        message["Content-Language"] = lang  # after the parts: making a multipart moves Content-* headers into them
        return message.as_bytes()

    def itip(self, content: bytes) -> tuple[bytes, str]:
        """The calendar object with the bot's sender address as its ORGANIZER (iMIP needs a mailto: one)."""
        calendar = Calendar.from_ical(content)
        for event in calendar.walk("VEVENT"):
            organizer = vCalAddress(f"mailto:{self.sender}")
            organizer.params["CN"] = SENDER_NAME
            event.pop("ORGANIZER", None)
            event.add("organizer", organizer, encode=False)
        return calendar.to_ical(), str(calendar.get("METHOD", "REQUEST"))

    async def answer_link(self, official: Official | None, button: Button) -> tuple[str, str] | None:
        """(label, signed address) for an official's answer button; None for any other button."""
        prefix, _, rest = button.payload.partition(":")
        action, _, arg = rest.partition(":")
        ref, _, version = arg.partition(":")
        if official is None or prefix != ANSWER_PREFIX or action not in ("acc", "dec") or not version.isdigit():
            return None
        try:
            meeting = await self.app.booking.meeting(ref)
        except MeetingNotFound:
            return None
        url = self.links.url(official.id, meeting.ref, int(version), action == "acc", self.app.clock.now(), meeting.start)
        return button.label, url

    async def tell_coordinators(self, email: str, reason: str) -> None:
        """A server refused mail to `email` for good: every coordinator is told in their chat."""
        from ..features.coordinator import each_coordinator

        async with self.app.db.read() as conn:
            official = await repo.official_by_email(conn, email)
        async for address, _, t in each_coordinator(self.app):
            name = official.name if official else "?"
            await self.app.notifier.send(address, [Reply(t("mail.bounced", name=name, email=email, reason=reason))])


class MailChannel:
    """`dukat-bord run`'s e-mail channel: the route and the queue are wired with the app (bot/app.py); this says
    so at start, so that `run` starts with e-mail alone configured."""

    name = "email"

    def __init__(self, app: "App") -> None:
        self.app = app

    async def start(self) -> None:
        s = self.app.settings
        log.info("e-mail goes through %s:%s (%s)", s.smtp_host, smtp_port(s), s.smtp_tls)

    async def stop(self) -> None:
        pass


def smtp_port(settings: "Settings") -> int:
    return settings.smtp_port or DEFAULT_PORTS[settings.smtp_tls]


class SmtpTransport:
    """Sends through the SMTP server of DUKAT_SMTP_*; sorts failures into temporary and permanent."""

    def __init__(self, settings: "Settings") -> None:
        self.settings = settings

    async def send(self, sender: str, recipient: str, message: bytes, key: str) -> None:
        s = self.settings
        try:
            await aiosmtplib.send(
                message, sender=sender, recipients=[recipient], hostname=s.smtp_host, port=smtp_port(s),
                username=s.smtp_username, password=s.smtp_password, use_tls=s.smtp_tls == "tls",
                start_tls=s.smtp_tls == "starttls", timeout=SMTP_TIMEOUT)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            if any(500 <= code < 600 for code in codes):
                raise PermanentFailure(str(codes[0])) from None
            raise TemporaryFailure(str(codes[0]) if codes else type(exc).__name__) from None
        except aiosmtplib.SMTPDataError as exc:
            if 500 <= exc.code < 600:
                raise PermanentFailure(str(exc.code)) from None
            raise TemporaryFailure(str(exc.code)) from None
        except aiosmtplib.SMTPResponseException as exc:
            # Refused at HELO, AUTH or MAIL FROM: the server's or our settings' trouble, not the address's.
            raise TemporaryFailure(f"{type(exc).__name__} {exc.code}") from None
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
            raise TemporaryFailure(type(exc).__name__) from None


class EmlTransport:
    """Without an SMTP server: each mail as `<folder>/mail-<queued at>-<number>.eml` (folder 0700, files 0600)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    async def send(self, sender: str, recipient: str, message: bytes, key: str) -> None:
        await asyncio.to_thread(self._write, key, message)

    def _write(self, key: str, message: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        path = self.folder / f"mail-{key}.eml"  # a retry after a crash writes the same file again
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(message)


def transport_for(settings: "Settings") -> Any:
    return SmtpTransport(settings) if settings.mail_enabled else EmlTransport(settings.mail_outbox_dir())
