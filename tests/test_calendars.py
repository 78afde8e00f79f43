"""Busy times from the officials' own calendars, against real peers the tests start: a Radicale CalDAV server
and a local HTTP server publishing an ICS file. Time is a fake clock; nothing sleeps."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import caldav
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from booking.busy_service import SOURCES_FILE_FAILURE
from booking.calendar_sources import CalendarSource, CalendarSourcesError, load_sources, save_sources
from booking.model import SlotTaken
from booking.slots import Availability, find_slots
from bot.clock import STOCKHOLM
from bot.reports import build_report, report_csv, report_text
from tests.booking_helpers import new_founder, outbox_replies
from tests.conftest import Chat
from tests.test_cli import run

# Monday 22 March 2027, 08:00 in Stockholm (winter time); summer time starts on Sunday 28 March.
MONDAY = datetime(2027, 3, 22, 7, 0, tzinfo=timezone.utc)
SECRET_PATH = "s3cr3t-7f9a2b"  # the secret part of a published address
PASSWORD = "pw-Zq81-very-secret"


# --- peers ----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def radicale(tmp_path):
    """A Radicale server with user anna (htpasswd) and her empty calendar collection; yields its URL."""
    users = tmp_path / "radicale-users"
    users.write_text(f"anna:{PASSWORD}\n")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "radicale", "-C", os.devnull, "--server-hosts", f"127.0.0.1:{port}",
         "--storage-filesystem-folder", str(tmp_path / "radicale"), "--auth-type", "htpasswd",
         "--auth-htpasswd-filename", str(users), "--auth-htpasswd-encryption", "plain", "--auth-delay", "0",
         "--logging-level", "info"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        for line in proc.stderr:  # type: ignore[union-attr]
            if "Radicale server ready" in line:
                break
        else:
            raise AssertionError("Radicale did not start")
        base = f"http://127.0.0.1:{port}/"
        with caldav.DAVClient(url=base, username="anna", password=PASSWORD, require_tls=False) as client:
            client.principal().make_calendar(name="Arbete", cal_id="work")
        yield f"{base}anna/work/"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def put_event(collection_url: str, ics: str) -> None:
    with caldav.DAVClient(url=collection_url, username="anna", password=PASSWORD, require_tls=False) as client:
        client.calendar(url=collection_url).save_event(ics)


class Published:
    """A local HTTP server publishing one ICS file at a secret path, like Outlook's "publish calendar"."""

    def __init__(self, port: int | None = None) -> None:
        self.body = calendar()
        self.status = 200
        web_app = web.Application()
        web_app.router.add_get(f"/owa/calendar/{SECRET_PATH}/calendar.ics", self._serve)
        self.server = TestServer(web_app, host="127.0.0.1", **({"port": port} if port else {}))

    async def _serve(self, request: web.Request) -> web.Response:
        return web.Response(body=self.body.encode(), status=self.status, content_type="text/calendar")

    @property
    def url(self) -> str:
        return str(self.server.make_url(f"/owa/calendar/{SECRET_PATH}/calendar.ics"))


@pytest.fixture
async def published():
    server = Published()
    await server.server.start_server()
    yield server
    await server.server.close()


# --- helpers --------------------------------------------------------------------------------------


def calendar(*events: str, extra: str = "") -> str:
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", extra, *events, "END:VCALENDAR", ""]
                       ).replace("\r\n\r\n", "\r\n")


def event(uid: str, start: str, end: str, *lines: str) -> str:
    return "\r\n".join(["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20270301T000000Z", start, end, *lines, "END:VEVENT"])


def set_source(app, official_id: str, url: str, username: str | None = None) -> None:
    path = app.settings.calendars_path()
    sources = load_sources(path)
    sources[official_id] = CalendarSource(official_id, url, username=username,
                                          password=PASSWORD if username else None)
    save_sources(path, sources)


async def free_starts(app, official_id: str) -> set[datetime]:
    """Every start the slot finder considers free for the official within the horizon, as local times."""
    snap = await app.booking.snapshot()
    rules = app.booking.rules
    now = app.clock.now()
    index = Availability(officials=snap.officials, windows=snap.windows, exceptions=snap.exceptions,
                         meetings=snap.meetings, rules=rules, now=now, busy=snap.busy)
    lo, hi = int(now.timestamp()), int((now + rules.horizon).timestamp())
    found = set()
    day = now.astimezone(STOCKHOLM).date()
    while day <= (now + rules.horizon).astimezone(STOCKHOLM).date():
        found |= {datetime.fromtimestamp(s, STOCKHOLM) for s in index.free_starts(official_id, day, lo, hi)}
        day += timedelta(days=1)
    return found


def ours(caplog) -> str:
    """What the bot logged (the test's own HTTP server logs its requests: a peer's log, not ours)."""
    return "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records if r.name != "aiohttp.access")


def within(starts: set[datetime], last: date) -> set[datetime]:
    return {s for s in starts if s.date() <= last}


def local(day: date, *clock: str) -> set[datetime]:
    return {datetime.combine(day, datetime.strptime(c, "%H:%M").time(), STOCKHOLM) for c in clock}


async def offered_with(app, official_id: str) -> list:
    """Every slot the finder offers (no daily cap) in which the official sits."""
    snap = await app.booking.snapshot()
    slots = find_slots(officials=snap.officials, windows=snap.windows, exceptions=snap.exceptions,
                       meetings=snap.meetings, rules=app.booking.rules, now=app.clock.now(), topics=[],
                       municipality=None, limit=1000, busy=snap.busy)
    return [s for s in slots if official_id in s.official_ids]


# --- reading and using busy times ---------------------------------------------------------------


async def test_caldav_weekly_event_across_dst_removes_exactly_the_overlapping_slots(app, clock, radicale):
    clock.set(MONDAY)
    # Tuesdays 10:00-11:00 Stockholm time, weekly since 2 March: 09:00 UTC before 28 March, 08:00 UTC after.
    put_event(radicale, calendar(event(
        "weekly-1@example.org", "DTSTART;TZID=Europe/Stockholm:20270302T100000",
        "DTEND;TZID=Europe/Stockholm:20270302T110000", "RRULE:FREQ=WEEKLY;COUNT=10", "SUMMARY:Teammöte")))
    before = await free_starts(app, "demo-anna")
    set_source(app, "demo-anna", radicale, username="anna")

    assert await app.busy.refresh() == {"demo-anna": None}

    after = await free_starts(app, "demo-anna")
    # With the 15-minute buffer: 09:30 (ends 10:00) through 11:00 (starts 11:00) go; 09:00 and 11:30 stay.
    removed = local(date(2027, 3, 23), "09:30", "10:00", "10:30", "11:00") | local(
        date(2027, 3, 30), "09:30", "10:00", "10:30", "11:00")
    assert before - after == removed
    assert local(date(2027, 3, 30), "09:00", "11:30") <= after
    busy = [(datetime(2027, 3, 23, 9, tzinfo=timezone.utc), datetime(2027, 3, 23, 10, tzinfo=timezone.utc)),
            (datetime(2027, 3, 30, 8, tzinfo=timezone.utc), datetime(2027, 3, 30, 9, tzinfo=timezone.utc))]
    offered = await offered_with(app, "demo-anna")
    assert offered
    assert not [s for s in offered for a, b in busy if s.start < b and s.end > a]


OUTLOOK_ZONE = "\r\n".join([
    "BEGIN:VTIMEZONE", "TZID:W. Europe Standard Time",
    "BEGIN:STANDARD", "DTSTART:16010101T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100",
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10", "END:STANDARD",
    "BEGIN:DAYLIGHT", "DTSTART:16010101T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200",
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3", "END:DAYLIGHT", "END:VTIMEZONE"])


def outlook_calendar() -> str:
    return calendar(
        # busy, in Outlook's own time zone: Wednesday 24 March 13:00-14:00
        event("a@outlook", "DTSTART;TZID=W. Europe Standard Time:20270324T130000",
              "DTEND;TZID=W. Europe Standard Time:20270324T140000", "TRANSP:OPAQUE",
              "X-MICROSOFT-CDO-BUSYSTATUS:BUSY"),
        # free (transparent), cancelled, and free by Outlook's status: none of them blocks anything
        event("b@outlook", "DTSTART;TZID=W. Europe Standard Time:20270324T090000",
              "DTEND;TZID=W. Europe Standard Time:20270324T100000", "TRANSP:TRANSPARENT"),
        event("c@outlook", "DTSTART:20270325T080000Z", "DTEND:20270325T110000Z", "STATUS:CANCELLED"),
        event("d@outlook", "DTSTART:20270329T080000Z", "DTEND:20270329T110000Z", "X-MICROSOFT-CDO-BUSYSTATUS:FREE"),
        # an all-day event marked busy blocks the whole day; one marked free does not
        event("e@outlook", "DTSTART;VALUE=DATE:20270401", "DTEND;VALUE=DATE:20270402", "TRANSP:OPAQUE"),
        event("f@outlook", "DTSTART;VALUE=DATE:20270331", "DTEND;VALUE=DATE:20270401", "TRANSP:TRANSPARENT"),
        # a Dukat bord meeting the official accepted into their calendar: known already, not read as busy
        event("K7Q2X@dukat-bord", "DTSTART:20270323T130000Z", "DTEND:20270323T140000Z"),
        extra=OUTLOOK_ZONE,
    )


async def test_published_ics_address_busy_free_cancelled_all_day(app, clock, published):
    clock.set(MONDAY)
    published.body = outlook_calendar()
    before = await free_starts(app, "demo-anna")
    set_source(app, "demo-anna", published.url)

    assert await app.busy.refresh() == {"demo-anna": None}

    after = await free_starts(app, "demo-anna")
    whole_day = {s for s in before if s.date() == date(2027, 4, 1)}
    assert len(whole_day) == 12
    assert before - after == local(date(2027, 3, 24), "13:00", "13:30", "14:00") | whole_day
    statuses = await app.busy.statuses()
    assert statuses["demo-anna"].read_at == MONDAY and not statuses["demo-anna"].failing


async def test_a_calendar_that_is_down_keeps_the_last_known_busy_times_and_shows_in_the_report(
        app, clock, published, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    clock.set(MONDAY)
    published.body = outlook_calendar()
    before = await free_starts(app, "demo-anna")
    set_source(app, "demo-anna", published.url)
    await app.busy.refresh()
    known = await free_starts(app, "demo-anna")
    assert local(date(2027, 3, 24), "13:00", "13:30", "14:00") <= before - known

    clock.advance(minutes=15)
    published.status = 503
    assert await app.busy.refresh() == {"demo-anna": "HTTP 503"}
    last = date(2027, 4, 4)  # the horizon moves on with the clock: compare the days both cover
    assert within(await free_starts(app, "demo-anna"), last) == within(known, last)
    clock.advance(minutes=15)
    port = published.server.port
    await published.server.close()  # now nothing answers at all
    assert await app.busy.refresh() == {"demo-anna": "unreachable"}
    assert within(await free_starts(app, "demo-anna"), last) == within(known, last)

    status = (await app.busy.statuses())["demo-anna"]
    assert status.failing and status.read_at == MONDAY and status.failed_at == MONDAY + timedelta(minutes=30)
    assert "demo-anna could not be read (unreachable)" in ours(caplog)
    assert SECRET_PATH not in ours(caplog) and str(port) not in ours(caplog)

    today = MONDAY.astimezone(STOCKHOLM).date()
    report = await build_report(app.db, today - timedelta(days=6), today)
    t = lambda key, **p: app.catalogue.text("sv", key, **p)  # noqa: E731
    assert "Kalendrar som inte kunde läsas: 1" in report_text(report, t)
    assert "Kalendrar som inte kunde läsas,1" in report_csv(report, t)
    result = run(["report", "--from", (today - timedelta(days=6)).isoformat(), "--to", today.isoformat()], tmp_path,
                 env={"DUKAT_DB": app.settings.db_path, "DUKAT_LANG": "sv"})
    assert result.returncode == 0 and "Kalendrar som inte kunde läsas: 1" in result.stdout

    # Read again: the failure is over, the report says so.
    back = Published(port=port)
    back.body = outlook_calendar()
    await back.server.start_server()
    clock.advance(minutes=15)
    try:
        assert await app.busy.refresh() == {"demo-anna": None}
    finally:
        await back.server.close()
    report = await build_report(app.db, today - timedelta(days=6), today)
    assert "Kalendrar som inte kunde läsas: 0" in report_text(report, t)


async def test_the_chosen_officials_calendars_are_read_again_just_before_booking(app, clock, published):
    clock.set(MONDAY)
    chat = Chat(app, new_founder())
    await chat.say("/boka")
    await chat.press("bk:ok")
    await chat.press("Lokaler")
    await chat.press("Klar")
    await chat.press("Hoppa över")
    await chat.press("Vet inte än")
    payload = next(b.payload for r in chat.last for b in r.all_buttons() if b.payload.startswith("bk:t:"))
    start = datetime.fromtimestamp(int(payload.split(":")[2]) * 60, timezone.utc)
    await chat.press(payload)
    assert "Stämmer det här?" in chat.text()
    # Meanwhile something lands in every official's calendar at that time (each read again only now).
    stamp = start.strftime("%Y%m%dT%H%M%SZ")
    published.body = calendar(event("late@outlook", f"DTSTART:{stamp}",
                                    f"DTEND:{(start + timedelta(minutes=30)).strftime('%Y%m%dT%H%M%SZ')}"))
    for official in (await app.booking.snapshot()).officials:
        set_source(app, official.id, published.url)

    await chat.press("Boka")

    assert "Den tiden hann bli upptagen" in chat.text()
    offered = [b.payload for r in chat.last for b in r.all_buttons() if b.payload.startswith("bk:t:")]
    assert offered and payload not in offered
    assert (await app.busy.statuses()).keys() and not await app.booking.upcoming_for(chat.address)


async def test_book_refuses_a_slot_that_became_busy(app, clock, published):
    clock.set(MONDAY)
    slot = (await app.booking.offer(["asf"], None))[0]
    busy_one = slot.officials[0].id
    stamp = lambda when: when.strftime("%Y%m%dT%H%M%SZ")  # noqa: E731
    published.body = calendar(event("x@outlook", f"DTSTART:{stamp(slot.start)}", f"DTEND:{stamp(slot.end)}"))
    set_source(app, busy_one, published.url)
    with pytest.raises(SlotTaken):
        await app.booking.book(new_founder(), slot, ["asf"], None, None)
    again = await app.booking.offer(["asf"], None, limit=20)
    assert not [s for s in again if s.start == slot.start and busy_one in s.official_ids]


async def test_a_booked_meeting_that_becomes_busy_asks_the_official_once(app, clock, published):
    clock.set(MONDAY)
    founder = new_founder()
    slot = (await app.booking.offer(["asf"], None))[0]
    meeting = await app.booking.book(founder, slot, ["asf"], None, None)
    official = slot.officials[0]
    await outbox_replies(app, official.address)  # the invitation
    stamp = lambda when: when.strftime("%Y%m%dT%H%M%SZ")  # noqa: E731
    published.body = calendar(event("y@outlook", f"DTSTART:{stamp(meeting.start - timedelta(minutes=10))}",
                                    f"DTEND:{stamp(meeting.start + timedelta(minutes=10))}"))
    set_source(app, official.id, published.url)

    assert await app.calendar_jobs.run_due() == 1

    replies = await outbox_replies(app, official.address)
    assert len(replies) == 1 and meeting.ref in replies[0].text
    assert "Din kalender visar att du är upptagen" in replies[0].text
    payloads = [b.payload for b in replies[0].all_buttons()]
    assert payloads == [f"mt:acc:{meeting.ref}:0", f"mt:dec:{meeting.ref}:0"]
    assert await app.calendar_jobs.run_due() == 0  # asked once
    assert await outbox_replies(app, official.address) == []

    person = Chat(app, official.address)
    person.last = replies
    await person.press("Nej, jag kan inte")
    assert meeting.ref in person.text()
    now = await app.booking.meeting(meeting.ref)
    assert official.id not in now.official_ids


async def test_an_official_told_by_email_is_asked_by_email(app, clock, published, settings):
    """The question about a slot that became busy goes where the official is told (notify_via), with one-click links."""
    from tests.mail_helpers import links, parse, plain

    clock.set(MONDAY)
    slot = (await app.booking.offer(["asf"], None))[0]
    meeting = await app.booking.book(new_founder(), slot, ["asf"], None, None)
    official = slot.officials[0]
    await app.db.execute("UPDATE officials SET email = 'anna@example.org', notify_via = 'email' WHERE id = ?",
                         (official.id,))
    stamp = lambda when: when.strftime("%Y%m%dT%H%M%SZ")  # noqa: E731
    published.body = calendar(event("z@outlook", f"DTSTART:{stamp(meeting.start)}",
                                    f"DTEND:{stamp(meeting.start + timedelta(minutes=30))}"))
    set_source(app, official.id, published.url)
    folder = settings.mail_outbox_dir()
    before = set(folder.glob("*.eml")) if folder.exists() else set()

    assert await app.calendar_jobs.run_due() == 1
    await app.mail_queue.run_due()

    mails = [parse(f.read_bytes()) for f in sorted(set(folder.glob("*.eml")) - before)]
    asked = [m for m in mails if m["To"] == "anna@example.org" and "Din kalender visar" in plain(m)]
    assert len(asked) == 1 and meeting.ref in plain(asked[0])
    assert set(links(asked[0])) == {"Ja, jag kommer", "Nej, jag kan inte"}


# --- the credentials file -----------------------------------------------------------------------


def test_a_credentials_file_others_can_read_is_refused(tmp_path):
    path = tmp_path / "calendars.yaml"
    save_sources(path, {"demo-anna": CalendarSource("demo-anna", "https://example.org/x.ics")})
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_sources(path)["demo-anna"].url == "https://example.org/x.ics"
    path.chmod(0o640)
    with pytest.raises(CalendarSourcesError) as caught:
        load_sources(path)
    assert caught.value.code == "not_private"


async def test_a_refused_credentials_file_keeps_the_last_busy_times_and_counts_as_failing(
        app, clock, published, caplog):
    clock.set(MONDAY)
    published.body = outlook_calendar()
    set_source(app, "demo-anna", published.url)
    await app.busy.refresh()
    known = await free_starts(app, "demo-anna")
    app.settings.calendars_path().chmod(0o644)
    assert await app.busy.refresh() == {}
    assert "calendars file cannot be used (not_private)" in caplog.text
    assert await free_starts(app, "demo-anna") == known
    assert (await app.busy.statuses())["demo-anna"].failure == SOURCES_FILE_FAILURE


def test_officials_calendar_command_writes_an_owner_only_file_and_list_shows_no_secret(tmp_path):
    path = tmp_path / "data" / "calendars.yaml"
    address = f"https://outlook.office365.com/owa/calendar/{SECRET_PATH}/calendar.ics"
    result = run(["officials", "calendar", "demo-anna", address], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "demo-anna" in result.stdout and SECRET_PATH not in result.stdout + result.stderr
    result = run(["officials", "calendar", "demo-bengt", "https://dav.example.org/bengt/work/", "--username", "bengt",
                  "--password-env", "BENGT_PW"], tmp_path, env={"BENGT_PW": PASSWORD})
    assert result.returncode == 0, result.stderr
    assert path.stat().st_mode & 0o777 == 0o600
    stored = load_sources(path)
    assert stored["demo-anna"].url == address and stored["demo-bengt"].secret_password() == PASSWORD

    listing = run(["officials", "list"], tmp_path)
    assert listing.returncode == 0, listing.stderr
    lines = {line.split("\t")[0]: line for line in listing.stdout.splitlines()}
    assert lines["demo-anna"].endswith("kalender: ja, inte läst än")
    assert lines["demo-karl"].endswith("kalender: nej")
    everything = listing.stdout + listing.stderr
    assert SECRET_PATH not in everything and PASSWORD not in everything and "dav.example.org" not in everything

    result = run(["officials", "calendar", "demo-bengt", "--remove"], tmp_path)
    assert result.returncode == 0 and "demo-bengt" not in load_sources(path)

    # Bad input changes nothing.
    for args in (["officials", "calendar", "demo-anna", "http://example.org/x.ics"],
                 ["officials", "calendar", "nobody", address]):
        before = path.read_bytes()
        result = run(args, tmp_path)
        assert result.returncode == 1 and result.stderr.strip() and path.read_bytes() == before

    path.chmod(0o644)
    refused = run(["officials", "list"], tmp_path)
    assert refused.returncode == 1 and "chmod 600" in refused.stderr and SECRET_PATH not in refused.stderr


async def test_no_address_or_password_in_the_logs(app, clock, radicale, published, caplog):
    caplog.set_level(logging.DEBUG)
    clock.set(MONDAY)
    set_source(app, "demo-anna", radicale, username="anna")
    set_source(app, "demo-bengt", published.url)
    published.status = 404
    sources = load_sources(app.settings.calendars_path())
    sources["demo-karl"] = CalendarSource("demo-karl", radicale, username="anna", password="wrong-" + PASSWORD)
    save_sources(app.settings.calendars_path(), sources)

    result = await app.busy.refresh()

    assert result == {"demo-anna": None, "demo-bengt": "HTTP 404", "demo-karl": "login refused"}
    text = ours(caplog)
    assert "demo-bengt could not be read (HTTP 404)" in text and "demo-karl could not be read (login refused)" in text
    for secret in (SECRET_PATH, PASSWORD, "anna/work", radicale):
        assert secret not in text
