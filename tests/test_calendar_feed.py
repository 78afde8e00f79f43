"""An official's calendar feed: GET /cal/<secret>.ics from the real web server lists their meetings (upcoming
and the last 30 days), the ones they no longer attend as cancelled, with the invitations' UIDs and the yearly
VTIMEZONE; `dukat-bord officials feed-reset` (a real subprocess) replaces the secret and the old one gets 404.
Nothing logged holds the secret."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
import vobject
from icalendar import Calendar

from booking.calendar import meeting_uid
from booking.feed import FEED_DAYS_BACK
from bot.web import WebServer
from tests.booking_helpers import new_founder

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
async def server(app):
    web_server = WebServer(app.settings)
    web_server.bind()
    await web_server.start(app)
    yield web_server
    await web_server.stop()


async def get(app, path: str) -> tuple[int, dict, bytes]:
    async with aiohttp.ClientSession() as session:
        async with session.get(app.settings.web_base_url() + path) as response:
            return response.status, dict(response.headers), await response.read()


async def book_with(app, official_id: str | None = None, after=None):
    """Book the first free slot for a new founder, with `official_id` at the table when given (their
    colleagues in the same organisation are left out of the search)."""
    officials = (await app.booking.snapshot()).officials
    me = next((o for o in officials if o.id == official_id), None)
    colleagues = [o.id for o in officials if me and o.organisation_id == me.organisation_id and o.id != me.id]
    slots = await app.booking.offer(["asf"], None, after=after, limit=10, exclude_officials=colleagues)
    chosen = [s for s in slots if official_id is None or official_id in s.official_ids]
    assert chosen, f"no free slot with {official_id}"
    return await app.booking.book(new_founder(), chosen[0], ["asf"], None, None)


def events(body: bytes) -> dict[str, object]:
    return {str(e["UID"]): e for e in Calendar.from_ical(body).walk("VEVENT")}


def invitation_uid(replies, ref: str) -> str:
    for reply in replies:
        for attachment in reply.attachments:
            if attachment.filename.endswith(".ics") and ref.encode() in attachment.content:
                return str(Calendar.from_ical(attachment.content).walk("VEVENT")[0]["UID"])
    raise AssertionError(f"no invitation with a calendar file for {ref}")


async def test_the_feed_lists_the_officials_meetings_and_marks_the_ones_they_no_longer_attend(
        app, clock, server, caplog):
    caplog.set_level(logging.DEBUG)
    old = await book_with(app)
    me = old.official_ids[0]
    official = next(o for o in (await app.booking.snapshot()).officials if o.id == me)
    clock.advance(timedelta(days=FEED_DAYS_BACK + 10))  # `old` ended more than 30 days ago
    recent = await book_with(app, me)
    clock.advance(timedelta(days=10))  # `recent` is over, and less than 30 days ago
    upcoming = await book_with(app, me)
    cancelled = await book_with(app, me, after=upcoming.end + timedelta(hours=1))
    await app.booking.cancel(cancelled.ref, cancelled.founder_address)
    declined = await book_with(app, me, after=cancelled.end + timedelta(hours=1))
    await app.booking.respond(official.address, declined.ref, accept=False)
    moved_away = await book_with(app, me, after=declined.end + timedelta(hours=1))
    elsewhere = (await app.booking.offer(["asf"], None, after=moved_away.end + timedelta(hours=1), limit=1,
                                         exclude_officials=[me]))[0]
    await app.booking.move(moved_away.ref, moved_away.founder_address, elsewhere)
    invitations = await app.outbox.take(official.address)

    secret = await app.feeds.secret(me)
    assert await app.feeds.secret(me) == secret and len(secret) >= 40  # made once, kept
    status, headers, body = await get(app, f"/cal/{secret}.ics")
    assert status == 200 and headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "no-referrer"

    calendar = Calendar.from_ical(body)
    assert calendar["METHOD"] == "PUBLISH"
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body and b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in body
    assert str(calendar["X-WR-CALNAME"]) == app.catalogue.text(official.lang, "web.feed_name", name=official.name)
    found = events(body)
    assert set(found) == {meeting_uid(m) for m in (recent, upcoming, cancelled, declined, moved_away)}  # not `old`
    assert meeting_uid(old) not in found
    for meeting in (recent, upcoming, cancelled, declined):  # the UID the invitation's calendar file had
        assert invitation_uid(invitations, meeting.ref) == meeting_uid(meeting)
    assert found[meeting_uid(upcoming)]["STATUS"] == "TENTATIVE"
    assert found[meeting_uid(upcoming)]["DTSTART"].dt == upcoming.start
    assert found[meeting_uid(upcoming)]["DTSTART"].params["TZID"] == "Europe/Stockholm"
    assert found[meeting_uid(cancelled)]["STATUS"] == "CANCELLED"
    assert me not in (await app.booking.meeting(declined.ref)).official_ids  # a substitute took it, or it is off
    assert found[meeting_uid(declined)]["STATUS"] == "CANCELLED"  # gone from this official's calendar
    assert found[meeting_uid(moved_away)]["STATUS"] == "CANCELLED"  # moved to a time without them
    assert found[meeting_uid(declined)]["SEQUENCE"] == (await app.booking.meeting(declined.ref)).sequence
    by_vobject = {str(e.uid.value): e.dtstart.value for e in vobject.readOne(body.decode()).vevent_list}
    assert by_vobject[meeting_uid(upcoming)] == upcoming.start and by_vobject[meeting_uid(recent)] == recent.start
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert {str(o["RRULE"].to_ical(), "ascii") for o in vtimezone.subcomponents} == {
        "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"}

    # Another official's feed does not list this official's meetings they were never part of.
    other = next(o for o in (await app.booking.snapshot()).officials if o.id not in upcoming.official_ids + old.official_ids)
    _, _, other_body = await get(app, f"/cal/{await app.feeds.secret(other.id)}.ics")
    assert meeting_uid(upcoming) not in events(other_body)

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert secret not in logged and "/cal/[secret]" in logged


async def test_unknown_secret_gets_the_404_page_and_is_logged_without_it(app, server, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "x" * 43
    status, headers, body = await get(app, f"/cal/{wrong}.ics")
    assert status == 404 and headers["Content-Type"].startswith("text/html")
    assert app.catalogue.text("sv", "web.not_found_title").encode() in body
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert wrong not in logged and "/cal/[secret]" in logged and "unknown or replaced address" in logged


async def test_an_inactive_officials_feed_is_gone(app, server):
    official = (await app.booking.snapshot()).officials[0]
    secret = await app.feeds.secret(official.id)
    assert (await get(app, f"/cal/{secret}.ics"))[0] == 200
    await app.db.execute("UPDATE officials SET active = 0 WHERE id = ?", (official.id,))
    assert (await get(app, f"/cal/{secret}.ics"))[0] == 404


def cli(tmp_path: Path, settings, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MATRIX_", "DUKAT_"))}
    env.update(DUKAT_DB=settings.db_path, DUKAT_DATA_DIR=settings.data_dir, PYTHONPATH=str(REPO),
               DUKAT_PUBLIC_URL="https://bot.example.org/dukat/")
    return subprocess.run([sys.executable, "-m", "bot", "officials", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60)


async def test_feed_reset_on_the_command_line_replaces_the_address(app, server, tmp_path, settings):
    official = (await app.booking.snapshot()).officials[0]
    old = await app.feeds.secret(official.id)

    shown = cli(tmp_path, settings, "feed", official.id)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == f"https://bot.example.org/dukat/cal/{old}.ics\n"  # DUKAT_PUBLIC_URL, no double slash
    assert app.catalogue.text("sv", "web.feed_address", name=official.name) in shown.stderr

    reset = cli(tmp_path, settings, "feed-reset", official.id)
    assert reset.returncode == 0, reset.stderr
    match = re.fullmatch(r"https://bot\.example\.org/dukat/cal/([A-Za-z0-9_-]+)\.ics\n", reset.stdout)
    assert match and match[1] != old
    assert app.catalogue.text("sv", "web.feed_new_address", name=official.name) in reset.stderr
    assert (await get(app, f"/cal/{old}.ics"))[0] == 404
    status, _, body = await get(app, f"/cal/{match[1]}.ics")
    assert status == 200 and body.startswith(b"BEGIN:VCALENDAR")
    assert await app.feeds.secret(official.id) == match[1]



async def test_the_official_asks_the_bot_for_the_address_in_chat(app):
    from tests.conftest import Chat

    official = (await app.booking.snapshot()).officials[0]
    replies = await Chat(app, official.address).say("/kalender")
    url = f"{app.settings.web_base_url()}/cal/{await app.feeds.secret(official.id)}.ics"
    assert replies[0].text == app.catalogue.text(official.lang, "web.feed_chat", url=url)
    founder = await Chat(app, "console:someone-else").say("/kalender")
    assert "/cal/" not in founder[0].text
