"""Officials by e-mail: invitations as iMIP requests through a real SMTP server (aiosmtpd), one-click answers
through the real web routes, retries, bounces, signed links and the .eml folder."""

from __future__ import annotations

import os
import re
import stat
from datetime import timedelta
from email.policy import default

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from booking import repository as repo
from bot.app import build_app
from bot.channels.mail_queue import undeliverable_addresses
from bot.clock import STOCKHOLM
from bot.config import Settings
from bot.reports import build_report, report_text
from bot.web_answers import add_routes
from tests.booking_helpers import book_first
from tests.conftest import Chat
from tests.mail_helpers import PUBLIC, SmtpServer, calendar, event, free_port, links, parse, plain
from tests.test_booking_dialogue import book_through_chat

DOMAIN = "kommun.example"


def address_of(official_id: str) -> str:
    return f"{official_id}@{DOMAIN}"


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def mail_settings(tmp_path, port: int) -> Settings:
    return Settings(db_path=str(tmp_path / "dukat.db"), data_dir=str(tmp_path / "data"), smtp_host="127.0.0.1",
                    smtp_port=port, smtp_tls="none", public_url=PUBLIC, mail_from="bord@example.org")


@pytest.fixture
async def mail_app(tmp_path, smtp, clock, knowledge_store):
    app = await build_app(mail_settings(tmp_path, smtp.port), clock=clock, knowledge=knowledge_store)
    await by_email(app)
    yield app
    await app.close()


async def by_email(app, notify_via: str = "email") -> None:
    """Every demo official gets an e-mail address and is told by e-mail (or as `notify_via` says)."""
    await app.db.execute("UPDATE officials SET email = id || '@' || ?, notify_via = ?", (DOMAIN, notify_via))


@pytest.fixture
async def web_client(mail_app):
    web_app = web.Application()
    add_routes(web_app, mail_app)
    client = TestClient(TestServer(web_app))
    await client.start_server()
    yield client
    await client.close()


async def states(app, ref: str) -> dict[str, str]:
    meeting = await app.booking.meeting(ref)
    async with app.db.read() as conn:
        return {p.official_id: str(p.state) for p in await repo.participants(conn, meeting.id)}


async def test_founder_books_official_answers_by_mail_then_move_and_cancel(mail_app, smtp, web_client):
    app = mail_app
    founder = Chat(app, "console:grundare", pace=3)
    ref = await book_through_chat(founder)
    meeting = await app.booking.meeting(ref)
    first, second = meeting.official_ids[:2]
    assert await app.outbox.take(f"console:{first}") == []  # told by e-mail only
    await app.mail_queue.run_due()

    invitation = smtp.handler.mails(address_of(first))
    assert len(invitation) == 1
    mail = invitation[0]
    assert mail.get_content_type() == "multipart/mixed"
    assert {p.get_content_type() for p in mail.walk()} >= {"multipart/alternative", "text/plain", "text/html",
                                                           "text/calendar"}
    method, cal = calendar(mail)
    assert method == "REQUEST" and cal["METHOD"] == "REQUEST"
    vevent = event(mail)
    uid = str(vevent["UID"])
    assert uid.startswith(ref) and int(vevent["SEQUENCE"]) == 0
    assert str(vevent["ORGANIZER"]) == "mailto:bord@example.org"
    assert f"mailto:{address_of(first)}" in [str(a) for a in vevent.get("ATTENDEE")]
    text = plain(mail)
    assert ref in mail["Subject"] and "Ett café med arbetsträning" in text and "Botkyrka" in text
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html").get_content()
    assert "Ett café med arbetsträning" in html and "<script" not in html
    answer = links(mail)
    assert set(answer) == {"Ja, jag kommer", "Nej, jag kan inte"}

    # Opening the link (a mail scanner does) changes nothing; pressing the button answers.
    before = await states(app, ref)
    page = await web_client.get(answer["Ja, jag kommer"])
    body = await page.text()
    assert page.status == 200 and 'method="post"' in body and ref in body and "Botkyrka" in body
    assert await states(app, ref) == before
    page = await web_client.post(answer["Ja, jag kommer"])
    assert page.status == 200 and "Tack!" in await page.text()
    assert (await states(app, ref))[first] == "accepted"

    await app.mail_queue.run_due()
    other = links(smtp.handler.mails(address_of(second))[0])
    page = await web_client.post(other["Ja, jag kommer"])
    assert page.status == 200
    founder.last = await app.outbox.take("console:grundare")
    assert f"mötet {ref}" in founder.text() and "bekräftat" in founder.text()  # told as in the chat

    # The founder moves the meeting: the officials get the same UID with a higher SEQUENCE.
    await founder.say("mina möten")
    await founder.press(f"Flytta {ref}")
    await founder.press(founder.buttons()[1])
    await founder.press("Flytta")
    assert f"Mötet {ref} är flyttat" in founder.text()
    moved = await app.booking.meeting(ref)
    smtp.handler.received.clear()
    await app.mail_queue.run_due()
    requests = [m for m in smtp.handler.mails() if calendar(m)[0] == "REQUEST"]
    assert requests and all(str(event(m)["UID"]) == uid and int(event(m)["SEQUENCE"]) == moved.sequence == 1
                            for m in requests)
    for official in moved.official_ids:
        assert len(smtp.handler.mails(address_of(official))) == 1

    # The old link is of an outdated version: the page says what changed, and nothing does.
    before = await states(app, ref)
    page = await web_client.post(answer["Nej, jag kan inte"])
    body = await page.text()
    assert "äldre version" in body and "Tiden är ändrad" in body
    assert await states(app, ref) == before and (await app.booking.meeting(ref)).sequence == 1

    # The founder cancels: METHOD:CANCEL with the same UID.
    smtp.handler.received.clear()
    await founder.say("/avboka")
    await founder.press("Ja, avboka")
    await app.mail_queue.run_due()
    cancelled = smtp.handler.mails()
    assert len(cancelled) == len(moved.official_ids)
    for mail in cancelled:
        method, cal = calendar(mail)
        assert method == "CANCEL" and cal["METHOD"] == "CANCEL"
        assert str(event(mail)["UID"]) == uid and int(event(mail)["SEQUENCE"]) == 2
        assert str(event(mail)["STATUS"]) == "CANCELLED"


async def test_decline_by_link_brings_a_substitute_as_in_the_chat(mail_app, smtp, web_client):
    app = mail_app
    meeting = await book_first(app, founder="console:grundare2", topics=("asf",))
    await app.mail_queue.run_due()
    declining = meeting.official_ids[0]
    answer = links(smtp.handler.mails(address_of(declining))[0])
    smtp.handler.received.clear()
    page = await web_client.post(answer["Nej, jag kan inte"])
    body = await page.text()
    now = await app.booking.meeting(meeting.ref)
    assert declining not in now.official_ids
    if now.active:
        assert "tar din plats" in body
        substitute = now.official_ids[-1]
        await app.mail_queue.run_due()
        assert calendar(smtp.handler.mails(address_of(substitute))[0])[0] == "REQUEST"
        told = "\n".join(r.text for r in await app.outbox.take("console:grundare2"))
        assert "tar platsen" in told
    else:
        assert "avbokat" in body
    # A replay of the same decline changes nothing and says so.
    again = await web_client.post(answer["Nej, jag kan inte"])
    assert "Du har tackat nej" in await again.text()
    assert await app.booking.meeting(meeting.ref) == now


async def test_signed_links_refuse_what_they_must(mail_app, smtp, web_client, clock):
    app = mail_app
    meeting = await book_first(app, founder="console:grundare3", topics=("asf",))
    await app.mail_queue.run_due()
    official = meeting.official_ids[0]
    answer = links(smtp.handler.mails(address_of(official))[0])
    yes = answer["Ja, jag kommer"]
    before = await states(app, meeting.ref)

    # Tampered: one character of the token changed.
    token = yes.rsplit("/", 1)[1]
    changed = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for method in ("get", "post"):
        page = await getattr(web_client, method)(f"/answer/{changed}")
        assert page.status == 400 and "Länken fungerar inte" in await page.text()

    # Another official's: a genuine token for someone who is not in the meeting.
    stranger = next(o for o in (await app.booking.snapshot()).officials if o.id not in meeting.official_ids)
    theirs = app.answer_links.token(stranger.id, meeting.ref, meeting.sequence, True, meeting.start)
    for method in ("get", "post"):
        page = await getattr(web_client, method)(f"/answer/{theirs}")
        assert page.status == 404 and "hittar jag inte" in await page.text()
    assert await states(app, meeting.ref) == before

    # Replay after answering: the second press says it is done and changes nothing.
    assert "Tack!" in await (await web_client.post(yes)).text()
    answered = await states(app, meeting.ref)
    page = await web_client.post(yes)
    assert "redan tackat ja" in await page.text()
    page = await web_client.get(yes)
    assert "redan tackat ja" in await page.text() and 'method="post"' not in await page.text()
    assert await states(app, meeting.ref) == answered

    # Expired: the link's time is over (at the latest when the meeting begins).
    no = answer["Nej, jag kan inte"]
    clock.advance(meeting.start - clock.now() + timedelta(minutes=1))
    for method in ("get", "post"):
        page = await getattr(web_client, method)(no)
        assert page.status == 410 and "gått ut" in await page.text()
    assert await states(app, meeting.ref) == answered


async def test_refused_then_accepted_is_delivered_once(tmp_path, clock, knowledge_store):
    """Nobody listening (connection refused), then a 4xx, then the mail goes through: exactly once."""
    port = free_port()
    app = await build_app(mail_settings(tmp_path, port), clock=clock, knowledge=knowledge_store)
    server = SmtpServer(port)
    try:
        await by_email(app)
        meeting = await book_first(app, founder="console:grundare4", topics=("asf",))
        assert await app.mail_queue.run_due() == 0  # connection refused
        server.start()
        server.handler.refuse = ["451 4.3.0 Try again later"]
        assert await app.mail_queue.run_due() == 0  # not due yet: backoff
        clock.advance(timedelta(minutes=1))
        delivered = await app.mail_queue.run_due()  # the first DATA gets 451, the rest goes through
        clock.advance(timedelta(minutes=2))
        delivered += await app.mail_queue.run_due()
        clock.advance(timedelta(hours=2))
        delivered += await app.mail_queue.run_due()
        assert delivered == len(meeting.official_ids)
        for official in meeting.official_ids:
            assert len(server.handler.mails(address_of(official))) == 1
        rows = await app.db.fetchall("SELECT state, message FROM mail_queue")
        assert {r["state"] for r in rows} == {"sent"} and all(r["message"] is None for r in rows)
    finally:
        server.stop()
        await app.close()


async def test_permanent_refusal_marks_the_address_and_tells_coordinators(mail_app, smtp):
    app = mail_app
    await app.roles.grant("console:samordnare")
    await app.users.get_or_create("console:samordnare", "sv", app.clock.now())
    meeting = await book_first(app, founder="console:grundare5", topics=("asf",))
    bouncing = meeting.official_ids[0]
    smtp.handler.bounce = {address_of(bouncing)}
    await app.mail_queue.run_due()
    assert smtp.handler.mails(address_of(bouncing)) == []
    assert address_of(bouncing) in await undeliverable_addresses(app.db)
    told = "\n".join(r.text for r in await app.outbox.take("console:samordnare"))
    assert address_of(bouncing) in told and "550" in told
    today = app.clock.now().astimezone(STOCKHOLM).date()
    report = await build_report(app.db, today, today)
    assert report.undelivered_mail == 1
    assert "E-post till tjänstepersoner som inte kunde levereras: 1" in report_text(
        report, lambda key, **p: app.catalogue.text("sv", key, **p))
    # Nothing more is queued for it: the cancellation goes to the others only.
    await app.booking.cancel(meeting.ref, "console:grundare5")
    await app.mail_queue.run_due()
    rows = await app.db.fetchall("SELECT state FROM mail_queue WHERE recipient = ?", (address_of(bouncing),))
    assert [r["state"] for r in rows] == ["undeliverable"]
    assert calendar(smtp.handler.mails(address_of(meeting.official_ids[1]))[-1])[0] == "CANCEL"


async def test_without_a_server_mails_are_eml_files(app, settings, clock):
    await by_email(app, notify_via="both")
    meeting = await book_first(app, founder="console:grundare6", topics=("asf",))
    official = meeting.official_ids[0]
    assert any(meeting.ref in r.text for r in await app.outbox.take(f"console:{official}"))  # chat too
    await app.mail_queue.run_due()
    folder = settings.mail_outbox_dir()
    files = sorted(folder.glob("*.eml"))
    assert len(files) == len(meeting.official_ids)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert all(stat.S_IMODE(os.stat(f).st_mode) == 0o600 for f in files)
    mails = [parse(f.read_bytes()) for f in files]
    assert {m["To"] for m in mails} == {address_of(o) for o in meeting.official_ids}
    assert all(calendar(m)[0] == "REQUEST" for m in mails)

    # The 1-hour reminder and the morning digest come by e-mail as well (and in the chat: notify_via both).
    clock.advance(meeting.start - clock.now() - timedelta(minutes=59))
    assert await app.reminders.run_due() >= 1
    await app.mail_queue.run_due()
    later = [parse(f.read_bytes()) for f in sorted(folder.glob("*.eml"))[len(files):]]
    for o in meeting.official_ids:
        texts = [plain(m) for m in later if m["To"] == address_of(o)]
        assert any("Om en timme" in t and meeting.ref in t for t in texts)
        assert any("God morgon" in t and meeting.ref in t for t in texts)
        assert any("Om en timme" in r.text for r in await app.outbox.take(f"console:{o}"))


async def test_english_official_gets_english_mail(app, settings):
    await by_email(app)
    await app.db.execute("UPDATE officials SET lang = 'en'")
    meeting = await book_first(app, founder="console:grundare7", topics=("asf",))
    await app.mail_queue.run_due()
    mail = parse(sorted(settings.mail_outbox_dir().glob("*.eml"))[0].read_bytes())
    assert set(links(mail)) == {"Yes, I'll come", "No, I can't"}
    assert f"{settings.web_base_url()}/answer/" in plain(mail)  # no DUKAT_PUBLIC_URL: the web server's own address
    assert settings.web_base_url().startswith("http://127.0.0.1:")
    assert meeting.ref in mail["Subject"] and mail["Content-Language"] == "en"


def test_smtp_password_is_a_secret_of_the_logs_and_smtp_alone_makes_run_start():
    from bot.runner import configured_channels, settings_secrets

    settings = Settings(db_path="x", smtp_host="mail.example.org", smtp_password="hemligt-lösenord")
    assert "hemligt-lösenord" in settings_secrets(settings)
    assert "hemligt" not in repr(settings)
    assert [spec.name for spec in configured_channels(settings)] == ["email"]


def test_console_booking_writes_the_officials_mails_as_eml_files(tmp_path):
    """Officials given e-mail addresses in the officials file: a booking in `dukat-bord chat` (no mail server)
    writes what they would receive."""
    from tests.test_cli import run

    exported = tmp_path / "officials.yaml"
    assert run(["officials", "export", str(exported)], tmp_path).returncode == 0
    text = re.sub(r'( +)address: "?console:demo-(\w+)"?', r'\g<0>\n\1email: \2.demo@example.org', exported.read_text())
    exported.write_text(text, encoding="utf-8")
    result = run(["officials", "import", str(exported)], tmp_path)
    assert result.returncode == 0, result.stderr
    booking = "Vad är ett ASF?\nboka möte\n1\n12\nEn idé om ett café\nBotkyrka\n1\n1\n"
    result = run(["chat"], tmp_path, stdin=booking)
    assert result.returncode == 0, result.stderr
    ref = re.search(r"Referens: (\w+)", result.stdout)[1]
    folder = tmp_path / "data" / "mail"
    files = sorted(folder.glob("*.eml"))
    assert len(files) >= 2 and stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    for path in files:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        mail = parse(path.read_bytes())
        assert mail["To"].endswith(".demo@example.org") and ref in mail["Subject"]
        assert calendar(mail)[0] == "REQUEST" and "En idé om ett café" in plain(mail)
