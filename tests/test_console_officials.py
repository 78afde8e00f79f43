"""The web console's officials, meetings and an official's own page, through aiohttp's test client on the bot's
real web application and database: every route, edits through the same booking service as the chat (/tider,
/franvaro, the answer buttons), bad input refused with a clear message and nothing changed, and everyone told
through the real notifier (the console outbox) as in the chat."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from booking.calendar_sources import CalendarSource, save_sources
from booking.model import MeetingState, ParticipantState
from bot.admin.officials import day_text
from bot.catalogue import Catalogue
from bot.clock import STOCKHOLM
from bot.roles import COORDINATOR, OFFICIAL
from tests.booking_helpers import book_first, new_founder, officials_told, outbox_texts
from tests.console_helpers import (COORDINATOR_ADDRESS, coordinator_client, csrf_of, new_client,  # noqa: F401
                                   signed_in, web_client)

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = Catalogue.load()


def sv(key: str, **params) -> str:
    return CATALOGUE.text("sv", key, **params)


def week_form(csrf: str, **days: str) -> dict[str, str]:
    """The availability form as posted: day0 (Monday) … day6; days not given are left empty."""
    return {"csrf": csrf, **{f"day{i}": days.get(f"day{i}", "") for i in range(7)}}


async def week_of(app, official_id: str) -> dict[int, list[str]]:
    week: dict[int, list[str]] = {}
    for w in await app.booking.windows_of(official_id):
        week.setdefault(w.weekday, []).append(f"{w.start:%H:%M}-{w.end:%H:%M}")
    return {day: sorted(spans) for day, spans in week.items()}


async def official_client(app, address: str):
    client = await new_client(app)
    await signed_in(client, app, address)
    return client


def unescaped(html: str) -> str:
    return html.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")


# --- /admin/officials ----------------------------------------------------------------------------


async def test_the_list_shows_each_official_and_never_a_calendars_address(app, coordinator_client):  # noqa: F811
    secret = "https://calendar.example.org/private/abc123-secret.ics"
    save_sources(app.settings.calendars_path(), {"demo-anna": CalendarSource("demo-anna", secret)})
    await app.db.execute("UPDATE officials SET email = 'karl@kommun.example', notify_via = 'both' WHERE id = 'demo-karl'")
    response = await coordinator_client.get("/admin/officials")
    assert response.status == 200
    html = unescaped(await response.text())
    snap = await app.booking.snapshot()
    for official in snap.officials:
        assert official.name in html and official.address in html
        assert snap.organisations[official.organisation_id].name in html
    assert "karl@kommun.example" in html and sv("admin.officials.notify_both") in html
    assert secret not in html and "abc123" not in html
    row = re.search(r"Anna Demohandläggare.*?</tr>", html, re.S).group(0)  # type: ignore[union-attr]
    assert f"<td>{sv('admin.officials.calendar_yes')}</td>" in row
    row = re.search(r"Karl Demohandläggare.*?</tr>", html, re.S).group(0)  # type: ignore[union-attr]
    assert f"<td>{sv('admin.officials.calendar_no')}</td>" in row

    page = await coordinator_client.get("/admin/officials/demo-anna")
    html = unescaped(await page.text())
    assert page.status == 200 and "Anna Demohandläggare" in html and secret not in html
    assert 'value="09:00-12:00, 13:00-16:00"' in html  # Monday's times in the form
    assert (await coordinator_client.get("/admin/officials/nobody")).status == 404


async def test_a_coordinator_changes_the_weekly_times_and_the_cli_shows_them(app, coordinator_client):  # noqa: F811
    csrf = await csrf_of(coordinator_client, "/admin/officials/demo-anna")
    response = await coordinator_client.post("/admin/officials/demo-anna/availability", allow_redirects=False,
                                             data=week_form(csrf, day0="10:00-11:30", day2="8.00 - 9.00, 13:00–15:00",
                                                            day5="10:00-12:00"))
    assert response.status == 303 and response.headers["Location"].startswith("/admin/officials/demo-anna?saved=")
    assert await week_of(app, "demo-anna") == {0: ["10:00-11:30"], 2: ["08:00-09:00", "13:00-15:00"],
                                               5: ["10:00-12:00"]}
    page = await coordinator_client.get(response.headers["Location"])
    assert sv("admin.officials.availability_saved") in unescaped(await page.text())
    # The command line reads the same database: `dukat-bord officials export` gives the new week.
    env = {**os.environ, "DUKAT_DB": app.settings.db_path, "DUKAT_DATA_DIR": app.settings.data_dir}
    exported = subprocess.run([sys.executable, "-m", "bot", "officials", "export"], capture_output=True, text=True,
                              env=env, cwd=ROOT, timeout=120)
    assert exported.returncode == 0, exported.stderr
    anna = exported.stdout.split("id: demo-anna")[1].split("- id:")[0]
    assert "10:00-11:30" in anna and "13:00-15:00" in anna and "sat" in anna and "09:00-12:00" not in anna


async def test_bad_times_give_a_clear_message_and_change_nothing(app, coordinator_client):  # noqa: F811
    before = await week_of(app, "demo-anna")
    csrf = await csrf_of(coordinator_client, "/admin/officials/demo-anna")
    response = await coordinator_client.post("/admin/officials/demo-anna/availability", data=week_form(
        csrf, day0="25:00-26:00", day1="12:00-09:00", day2="09:00-12:00 11:00-13:00", day3="10:00-11:00"))
    html = unescaped(await response.text())
    assert response.status == 400
    assert sv("admin.officials.availability_not_saved") in html
    assert sv("admin.officials.times_format", day="måndag", span="25:00-26:00") in html
    assert sv("admin.officials.times_backwards", day="tisdag", span="12:00-09:00") in html
    assert sv("admin.officials.times_overlap", day="onsdag", span="") in html
    assert 'value="25:00-26:00"' in html  # what was typed stays in the form
    assert await week_of(app, "demo-anna") == before  # Thursday's good change not applied either


async def test_an_absence_over_booked_meetings_is_confirmed_first_then_substituted_and_the_founder_told(
        app, coordinator_client):  # noqa: F811
    founder = new_founder()
    meeting = await book_first(app, founder)
    absent = meeting.official_ids[0]
    await outbox_texts(app, founder)
    day = meeting.start.astimezone(STOCKHOLM).date().isoformat()
    csrf = await csrf_of(coordinator_client, f"/admin/officials/{absent}")
    response = await coordinator_client.post(f"/admin/officials/{absent}/absences",
                                             data={"csrf": csrf, "first": day, "last": ""})
    html = unescaped(await response.text())
    assert response.status == 200 and sv("admin.officials.absence_confirm_title") in html
    assert meeting.ref in html
    # Only shown: nothing recorded, the meeting as it was, nobody told.
    assert await app.booking.absences_of(absent) == []
    assert await app.booking.meeting(meeting.ref) == meeting
    assert await outbox_texts(app, founder) == []
    substitute = re.search("<td>" + sv("admin.officials.absence_outcome_substitute", substitute="([^<]+?)") + "</td>", html)
    assert substitute, "the confirm page names the substitute"

    response = await coordinator_client.post(f"/admin/officials/{absent}/absences", allow_redirects=False,
                                             data={"csrf": csrf, "first": day, "last": day, "confirm": "1"})
    assert response.status == 303 and "substituted=1" in response.headers["Location"]
    after = await app.booking.meeting(meeting.ref)
    assert absent not in after.official_ids and after.state == MeetingState.PENDING
    names = {o.id: o.name for o in (await app.booking.snapshot()).officials}
    assert names[after.official_ids[-1]] == substitute.group(1)
    told = await outbox_texts(app, founder)
    assert any(meeting.ref in text and substitute.group(1) in text for text in told)
    page = unescaped(await (await coordinator_client.get(response.headers["Location"])).text())
    shown = day_text(date.fromisoformat(day), "sv")
    assert sv("admin.officials.absence_added", first=shown, last=shown, substituted=1, cancelled=0) in page
    made_up = await coordinator_client.get(f"/admin/officials/{absent}?absence=added&first=Ring+0701234567&last=x")
    assert "0701234567" not in await made_up.text()  # a made-up link puts no words on the page
    assert len(await app.booking.absences_of(absent)) == 1


async def test_an_absence_nobody_can_cover_cancels_the_meeting_after_confirming(app, coordinator_client):  # noqa: F811
    founder = new_founder()
    meeting = await book_first(app, founder)
    absent = meeting.official_ids[0]
    for official in (await app.booking.snapshot()).officials:  # nobody else has any time left
        if official.id not in meeting.official_ids:
            await app.booking.set_week_windows(official.id, {d: [] for d in range(7)})
    await outbox_texts(app, founder)
    day = meeting.start.astimezone(STOCKHOLM).date().isoformat()
    csrf = await csrf_of(coordinator_client, f"/admin/officials/{absent}")
    response = await coordinator_client.post(f"/admin/officials/{absent}/absences",
                                             data={"csrf": csrf, "first": day, "last": day})
    html = unescaped(await response.text())
    assert sv("admin.officials.absence_outcome_cancel") in html and meeting.ref in html
    assert (await app.booking.meeting(meeting.ref)).active
    response = await coordinator_client.post(f"/admin/officials/{absent}/absences", allow_redirects=False,
                                             data={"csrf": csrf, "first": day, "last": day, "confirm": "1"})
    assert response.status == 303 and "cancelled=1" in response.headers["Location"]
    assert (await app.booking.meeting(meeting.ref)).state == MeetingState.CANCELLED
    told = await outbox_texts(app, founder)
    assert any(meeting.ref in text and "avbokat" in text for text in told)


async def test_bad_absence_dates_give_a_clear_message_and_change_nothing(app, coordinator_client, clock):  # noqa: F811
    csrf = await csrf_of(coordinator_client, "/admin/officials/demo-anna")
    today = clock.now().astimezone(STOCKHOLM).date()
    cases = [({"first": "imorgon"}, "admin.officials.absence_usage"),
             ({"first": ""}, "admin.officials.absence_usage"),
             ({"first": (today + timedelta(days=3)).isoformat(), "last": today.isoformat()},
              "admin.officials.absence_backwards"),
             ({"first": "2020-01-01", "last": "2020-01-02"}, "admin.officials.absence_absurd")]
    for fields, key in cases:
        response = await coordinator_client.post("/admin/officials/demo-anna/absences", data={"csrf": csrf, **fields})
        assert response.status == 400, fields
        assert sv(key, days=366) in unescaped(await response.text()), fields
    assert await app.booking.absences_of("demo-anna") == []


async def test_an_absence_without_meetings_is_added_at_once_and_can_be_removed(app, coordinator_client, clock):  # noqa: F811
    csrf = await csrf_of(coordinator_client, "/admin/officials/demo-frida")
    first = (clock.now() + timedelta(days=30)).astimezone(STOCKHOLM).date()
    last = first + timedelta(days=2)
    response = await coordinator_client.post("/admin/officials/demo-frida/absences", allow_redirects=False,
                                             data={"csrf": csrf, "first": first.isoformat(), "last": last.isoformat()})
    assert response.status == 303
    (absence,) = await app.booking.absences_of("demo-frida")
    assert absence.days(STOCKHOLM) == (first, last)
    # Another official's page cannot remove it.
    wrong = await coordinator_client.post(f"/admin/officials/demo-anna/absences/{absence.id}/remove",
                                          data={"csrf": csrf})
    assert wrong.status == 404 and len(await app.booking.absences_of("demo-frida")) == 1
    response = await coordinator_client.post(f"/admin/officials/demo-frida/absences/{absence.id}/remove",
                                             data={"csrf": csrf}, allow_redirects=False)
    assert response.status == 303 and await app.booking.absences_of("demo-frida") == []
    again = await coordinator_client.post(f"/admin/officials/demo-frida/absences/{absence.id}/remove",
                                          data={"csrf": csrf})
    assert again.status == 404


async def test_an_invite_code_is_shown_once_and_links_a_chat_account(app, coordinator_client):  # noqa: F811
    csrf = await csrf_of(coordinator_client, "/admin/officials/demo-frida")
    response = await coordinator_client.post("/admin/officials/demo-frida/invite", data={"csrf": csrf})
    html = await response.text()
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    code = re.search(r'<p class="code"><strong>([A-Z0-9]+)</strong>', html).group(1)  # type: ignore[union-attr]
    assert f"/start inv_{code}" in html
    page = await coordinator_client.get("/admin/officials/demo-frida")
    assert code not in await page.text()
    redeemed = await app.roles.redeem_invite(code, "console:frida-new", OFFICIAL)
    assert redeemed is not None and redeemed.subject == "demo-frida"
    assert (await app.booking.official_by_address("console:frida-new")).id == "demo-frida"  # type: ignore[union-attr]
    assert (await coordinator_client.post("/admin/officials/nobody/invite", data={"csrf": csrf})).status == 404


# --- /admin/meetings -----------------------------------------------------------------------------


async def test_meetings_by_week_and_day_show_state_and_answers_but_not_the_founder(app, coordinator_client, clock):  # noqa: F811
    founder = "console:founder-secret-address"
    meeting = await book_first(app, founder, idea="<b>Kaffe</b> & kakor")
    await app.booking.respond(None, meeting.ref, True, official_id=meeting.official_ids[0])
    names = {o.id: o.name for o in (await app.booking.snapshot()).officials}
    response = await coordinator_client.get("/admin/meetings")
    html = await response.text()
    assert response.status == 200
    week = meeting.start.astimezone(STOCKHOLM).isocalendar()
    this_week = clock.now().astimezone(STOCKHOLM).isocalendar()
    if week[:2] != this_week[:2]:
        html = await (await coordinator_client.get(f"/admin/meetings?week={week[0]}-W{week[1]:02d}")).text()
    assert meeting.ref in html and sv("admin.meetings.state_pending") in html
    assert f"{names[meeting.official_ids[0]]}, " in html and f": {sv('booking.answer_accepted')}" in html
    assert f": {sv('booking.answer_invited')}" in html
    assert "&lt;b&gt;Kaffe&lt;/b&gt; &amp; kakor" in html and "<b>Kaffe" not in html
    assert founder not in html and "founder-secret" not in html
    # Back and forth: the week before has none of it; the day view has it.
    monday = meeting.start.astimezone(STOCKHOLM).date() - timedelta(days=week[2] - 1)
    before = monday - timedelta(days=7)
    previous = await (await coordinator_client.get(f"/admin/meetings?week={before.isocalendar()[0]}-W{before.isocalendar()[1]:02d}")).text()
    assert meeting.ref not in previous and f"week={week[0]}-W{week[1]:02d}" in previous  # its "next" link
    day = meeting.start.astimezone(STOCKHOLM).date()
    assert meeting.ref in await (await coordinator_client.get(f"/admin/meetings?day={day.isoformat()}")).text()
    other_day = await (await coordinator_client.get(f"/admin/meetings?day={(day + timedelta(days=1)).isoformat()}")).text()
    assert meeting.ref not in other_day
    for bad in ("?week=2026-W99", "?week=soon", "?day=2026-02-30"):
        response = await coordinator_client.get(f"/admin/meetings{bad}")
        assert response.status == 400 and sv("admin.meetings.bad_period_title") in await response.text()


async def test_a_coordinator_cancels_a_meeting_and_founder_and_officials_are_told(app, coordinator_client):  # noqa: F811
    founder = new_founder()
    meeting = await book_first(app, founder)
    await outbox_texts(app, founder)
    await officials_told(app, meeting.ref)
    confirm = await coordinator_client.get(f"/admin/meetings/{meeting.ref}/cancel")
    html = await confirm.text()
    assert confirm.status == 200 and sv("admin.meetings.cancel_yes") in html
    assert (await app.booking.meeting(meeting.ref)).active  # asking changes nothing
    csrf = await csrf_of(coordinator_client, f"/admin/meetings/{meeting.ref}/cancel")
    # A version the page did not show (the meeting changed since): nothing happens.
    stale = await coordinator_client.post(f"/admin/meetings/{meeting.ref}/cancel",
                                          data={"csrf": csrf, "version": str(meeting.sequence + 1)})
    assert stale.status == 409 and (await app.booking.meeting(meeting.ref)).active
    response = await coordinator_client.post(f"/admin/meetings/{meeting.ref}/cancel", allow_redirects=False,
                                             data={"csrf": csrf, "version": str(meeting.sequence)})
    assert response.status == 303 and f"cancelled={meeting.ref}" in response.headers["Location"]
    assert (await app.booking.meeting(meeting.ref)).state == MeetingState.CANCELLED
    told = await outbox_texts(app, founder)
    assert any(meeting.ref in text and "samordnare har avbokat" in text for text in told)
    officials = await officials_told(app, meeting.ref)
    assert len(officials) == len(meeting.official_ids)
    wordings = [CATALOGUE.text(lang, "booking.official_cancelled", ref=meeting.ref, time="").split("(")[0]
                for lang in ("sv", "en")]  # each official in their own language
    assert all(any(wording in text for wording in wordings) for text in officials)
    again = await coordinator_client.post(f"/admin/meetings/{meeting.ref}/cancel",
                                          data={"csrf": csrf, "version": str(meeting.sequence + 1)})
    assert again.status == 409
    assert (await coordinator_client.get("/admin/meetings/ZZZZZ/cancel")).status == 404


# --- /admin/me -----------------------------------------------------------------------------------


async def test_an_official_sees_only_their_meetings_and_accepts_and_declines(app):
    first = await book_first(app, new_founder())
    snap = await app.booking.snapshot()
    me = snap.official(first.official_ids[0])
    assert me is not None and me.address
    # A meeting without them, on another day (so it keeps no substitute busy at the first one's time).
    other_slot = next(s for s in await app.booking.offer(["asf"], None, limit=40)
                      if me.id not in s.official_ids and s.start.date() != first.start.date())
    other = await app.booking.book(new_founder(), other_slot, ["asf"], None, None)
    mine = [first]
    client = await official_client(app, me.address)
    try:
        page = await client.get("/admin/me")
        html = await page.text()
        assert page.status == 200 and sv("admin.me.title") in html
        for meeting in mine:
            assert meeting.ref in html
        assert other.ref not in html
        csrf = await csrf_of(client, "/admin/me")
        response = await client.post(f"/admin/me/meetings/{first.ref}/answer", allow_redirects=False,
                                     data={"csrf": csrf, "answer": "accept", "version": str(first.sequence)})
        assert response.status == 303
        details = await app.booking.details(await app.booking.meeting(first.ref))
        assert {p.official_id: p.state for p in details.participants}[me.id] == ParticipantState.ACCEPTED
        shown = unescaped(await (await client.get(response.headers["Location"])).text())
        assert CATALOGUE.text(me.lang, "booking.accepted", ref=first.ref, time="x").split("x")[0][:25] in shown
        # Not theirs: refused and unchanged.
        response = await client.post(f"/admin/me/meetings/{other.ref}/answer",
                                     data={"csrf": csrf, "answer": "decline", "version": str(other.sequence)})
        assert response.status == 404 and (await app.booking.meeting(other.ref)) == other
        peek = await client.get(f"/admin/me?answer=accepted&ref={other.ref}")
        assert other.ref not in await peek.text()  # no word about a meeting that is not theirs
        # A no brings a substitute, and the founder is told.
        await outbox_texts(app, first.founder_address)
        response = await client.post(f"/admin/me/meetings/{first.ref}/answer", allow_redirects=False,
                                     data={"csrf": csrf, "answer": "decline", "version": str(first.sequence)})
        assert response.status == 303 and "answer=substituted" in response.headers["Location"]
        after = await app.booking.meeting(first.ref)
        assert me.id not in after.official_ids and len(after.official_ids) == len(first.official_ids)
        assert any(first.ref in text for text in await outbox_texts(app, first.founder_address))
        html = await (await client.get("/admin/me")).text()
        assert first.ref not in html.split('id="meetings-title"')[1].split('id="availability"')[0]
    finally:
        await client.close()


async def test_an_official_edits_their_own_times_and_absences_and_no_one_elses(app):
    client = await official_client(app, "console:demo-karl")
    try:
        csrf = await csrf_of(client, "/admin/me")
        response = await client.post("/admin/me/availability", allow_redirects=False,
                                     data=week_form(csrf, day0="08:00-10:00", day4="13:00-14:00"))
        assert response.status == 303
        assert await week_of(app, "demo-karl") == {0: ["08:00-10:00"], 4: ["13:00-14:00"]}
        bad = await client.post("/admin/me/availability", data=week_form(csrf, day0="8-10"))
        assert bad.status == 400 and sv("admin.officials.times_format", day="måndag", span="8-10") in unescaped(
            await bad.text())
        assert await week_of(app, "demo-karl") == {0: ["08:00-10:00"], 4: ["13:00-14:00"]}
        day = (app.clock.now() + timedelta(days=40)).astimezone(STOCKHOLM).date().isoformat()
        assert (await client.post("/admin/me/absences", data={"csrf": csrf, "first": day},
                                  allow_redirects=False)).status == 303
        assert len(await app.booking.absences_of("demo-karl")) == 1
        # Another official's things: the coordinators' pages are refused, another's absence is not found.
        anna_before = await week_of(app, "demo-anna")
        for path in ("/admin/officials/demo-anna/availability", "/admin/officials/demo-anna/absences",
                     "/admin/officials/demo-anna/invite"):
            response = await client.post(path, data={**week_form(csrf, day0="10:00-11:00"), "first": day})
            assert response.status == 403, path
        assert (await client.get("/admin/officials/demo-anna")).status == 403
        assert (await client.get("/admin/meetings")).status == 403
        await app.booking.add_absence("demo-anna", *_day_span(day))
        (anna_absence,) = await app.booking.absences_of("demo-anna")
        response = await client.post(f"/admin/me/absences/{anna_absence.id}/remove", data={"csrf": csrf})
        assert response.status == 404 and len(await app.booking.absences_of("demo-anna")) == 1
        assert await week_of(app, "demo-anna") == anna_before
    finally:
        await client.close()


def _day_span(day: str):
    from booking.officials_service import absence_instants

    return absence_instants(date.fromisoformat(day), date.fromisoformat(day), STOCKHOLM)


async def test_me_is_for_officials_only(app, coordinator_client):  # noqa: F811
    assert (await coordinator_client.get("/admin/me")).status == 403
    csrf = await csrf_of(coordinator_client, "/admin/officials")
    response = await coordinator_client.post("/admin/me/availability", data=week_form(csrf))
    assert response.status == 403
    # A coordinator who is also an official gets both.
    await app.roles.grant("console:demo-anna", COORDINATOR)
    client = await official_client(app, "console:demo-anna")
    try:
        assert (await client.get("/admin/me")).status == 200
        assert (await client.get("/admin/officials")).status == 200
    finally:
        await client.close()


# --- one service for the chat and the web ----------------------------------------------------------


async def test_the_chat_and_the_web_announce_the_same_outcome_for_an_absence(app, coordinator_client):  # noqa: F811
    from tests.conftest import Chat

    meeting = await book_first(app, new_founder())
    absent = (await app.booking.snapshot()).official(meeting.official_ids[0])
    assert absent is not None and absent.lang == "sv"
    day = meeting.start.astimezone(STOCKHOLM).date().isoformat()
    csrf = await csrf_of(coordinator_client, f"/admin/officials/{absent.id}")
    html = unescaped(await (await coordinator_client.post(f"/admin/officials/{absent.id}/absences",
                                                          data={"csrf": csrf, "first": day})).text())
    substitute = re.search("<td>" + sv("admin.officials.absence_outcome_substitute", substitute="([^<]+?)") + "</td>",
                           html).group(1)  # type: ignore[union-attr]
    chat = Chat(app, absent.address, pace=3)
    await chat.say(f"/franvaro {day}")
    assert sv("official.absence_effects_header") in chat.text()
    assert f"{meeting.ref} " in chat.text() and f": {substitute} " in chat.text()
    assert await app.booking.absences_of(absent.id) == [] and await app.booking.meeting(meeting.ref) == meeting


def test_reading_weekly_times():
    from datetime import time

    from booking.officials_service import TimesProblem, parse_spans, parse_week

    assert parse_spans("13:00-16:00, 09:00-12:00") == [(time(9), time(12)), (time(13), time(16))]
    assert parse_spans("9.00 – 12.00;13:00-14:00") == [(time(9), time(12)), (time(13), time(14))]
    assert parse_spans(" - ") == [] and parse_spans("") == []
    assert parse_spans("09:00-12:00 12:00-13:00")[1] == (time(12), time(13))  # touching is fine
    for text, reason in (("9-12", "format"), ("24:00-25:00", "format"), ("12:00-12:00", "backwards"),
                         ("09:00-12:00, 11:59-13:00", "overlap")):
        try:
            parse_spans(text, 2)
        except TimesProblem as problem:
            assert (problem.reason, problem.weekday) == (reason, 2), text
        else:
            raise AssertionError(text)
    week, problems = parse_week({0: "09:00-10:00", 1: "x"})
    assert week == {0: [(time(9), time(10))]} and [p.weekday for p in problems] == [1]
