"""Officials see one true story: every message and button belongs to a version of the meeting.

Through the engine on a real SQLite file; what officials and founders are told is read from the console
outbox, where the real Notifier delivers `console:` addresses (the demo officials live there).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from booking.model import Slot
from booking.reminders import Digest, Recipient
from bot.booking_texts import BookingTexts
from bot.clock import STOCKHOLM
from bot.formatting import format_time_range
from bot.messages import Incoming
from tests.booking_helpers import book_first, new_founder
from tests.conftest import Chat


def _t(app, key: str, lang: str = "sv", **params) -> str:
    return app.catalogue.text(lang, key, **params)


async def _book(app, address: str) -> str:
    """A founder books the first free time through the chat; returns the reference."""
    founder = Chat(app, address, pace=3)
    await founder.say("/boka")
    await founder.press("bk:ok")
    await founder.press("Lokaler")
    await founder.press("Klar")
    await founder.press("Hoppa över")
    await founder.press("Vet inte än")
    await founder.press(founder.buttons()[0])
    await founder.press("Boka")
    return re.search(r"Referens: (\w+)", founder.text())[1]


async def _inbox(app, address: str) -> Chat:
    """The official's chat, holding what is waiting for them (as `dukat-bord chat --as` shows it)."""
    chat = Chat(app, address, pace=3)
    chat.last = await app.outbox.take(address)
    return chat


def _payloads(chat: Chat) -> list[str]:
    return [b.payload for r in chat.last for b in r.all_buttons()]


async def _officials(app, meeting):
    snap = await app.booking.snapshot()
    return [snap.official(i) for i in meeting.official_ids]


def _when(meeting) -> str:
    return format_time_range(meeting.start, meeting.end, "sv")


async def _move_to_another_day(app, founder: Chat, ref: str) -> None:
    await founder.say("mina möten")
    await founder.press(f"Flytta {ref}")
    meeting = await app.booking.meeting(ref)
    day = meeting.start.astimezone(STOCKHOLM).date()
    other = next(p for p in _payloads(founder) if p.startswith("bk:t:")
                 and datetime.fromtimestamp(int(p[5:]) * 60, timezone.utc).astimezone(STOCKHOLM).date() != day)
    await founder.press(other)
    await founder.press("Flytta")
    assert f"Mötet {ref} är flyttat" in founder.text()


async def test_a_move_gives_each_asked_official_one_moved_message_and_old_buttons_do_nothing(app):
    service = app.booking
    founder = Chat(app, "console:mover", pace=3)
    ref = await _book(app, founder.address)
    booked = await service.meeting(ref)
    first, second = await _officials(app, booked)
    yes_then = await _inbox(app, first.address)
    no_then = await _inbox(app, second.address)
    assert _payloads(yes_then) == [f"mt:acc:{ref}:0", f"mt:dec:{ref}:0"]
    old_request = list(yes_then.last)
    await yes_then.press("Ja, jag kommer")
    assert "Tack! Du är med" in yes_then.text()

    await _move_to_another_day(app, founder, ref)
    moved = await service.meeting(ref)
    assert moved.official_ids == booked.official_ids, "premise: the same two officials at the new time"
    assert moved.sequence == 1

    for official, had_accepted in ((first, True), (second, False)):
        told = await app.outbox.take(official.address)
        assert len(told) == 1, [r.text for r in told]  # one clear message, not a new request on top of the old
        text = told[0].text
        assert "Ny förfrågan" not in text and f"Mötet {ref} är flyttat" in text
        assert _when(moved) in text and _when(booked) in text  # the new time, and which one it replaces
        assert ("tackat ja till den gamla tiden" in text) == had_accepted
        assert [b.payload for b in told[0].all_buttons()] == [f"mt:acc:{ref}:1", f"mt:dec:{ref}:1"]

    # "Nej" under the old request does not decline the moved meeting: it tells what changed and shows it now.
    old_question = list(no_then.last)
    await no_then.press("Nej, jag kan inte")
    assert "äldre version" in no_then.text() and "Tiden är ändrad" in no_then.text()
    assert _when(moved) in no_then.text()
    assert _payloads(no_then) == [f"mt:acc:{ref}:1", f"mt:dec:{ref}:1"]
    assert await service.meeting(ref) == moved
    # The old "Ja" does not confirm the new time either: a yes holds for the time it was given for.
    no_then.last = old_question
    await no_then.press("Ja, jag kommer")
    assert "äldre version" in no_then.text()
    yes_then.last = old_request
    await yes_then.press("Ja, jag kommer")
    assert "äldre version" in yes_then.text()
    details = await service.details(await service.meeting(ref))
    assert {p.state for p in details.participants} == {"invited"}
    assert await app.outbox.take(founder.address) == []

    # The current buttons act.
    await yes_then.press("Ja, jag kommer")
    assert "Tack! Du är med" in yes_then.text()
    await no_then.press("Ja, jag kommer")
    assert "alla tackat ja" in no_then.text()
    assert any("bekräftat" in r.text for r in await app.outbox.take(founder.address))


async def test_after_a_substitution_old_buttons_show_the_new_table(app):
    service = app.booking
    ref = await _book(app, "console:subst")
    founder = Chat(app, "console:subst", pace=3)
    await founder.say("/avboka")
    cancel_question = list(founder.last)
    booked = await service.meeting(ref)
    stays, leaves = await _officials(app, booked)
    staying = await _inbox(app, stays.address)
    leaving = await _inbox(app, leaves.address)
    leave_request = list(leaving.last)
    await leaving.press("Nej, jag kan inte")
    assert "tar din plats" in leaving.text()
    changed = await service.meeting(ref)
    substitute = (await _officials(app, changed))[-1]

    # The one who stays and has not answered hears of the change with the buttons of the new version.
    told = await app.outbox.take(stays.address)
    assert len(told) == 1 and "Ändring i mötet" in told[0].text and substitute.name in told[0].text
    assert [b.payload for b in told[0].all_buttons()] == [f"mt:acc:{ref}:1", f"mt:dec:{ref}:1"]

    # Their old "Ja" is of version 0: it says who left and who came, and asks again.
    await staying.press("Ja, jag kommer")
    text = staying.text()
    assert "äldre version" in text and leaves.name in text and substitute.name in text
    assert _payloads(staying) == [f"mt:acc:{ref}:1", f"mt:dec:{ref}:1"]
    # A button of a message sent before buttons carried versions counts as version 0.
    replies = await app.engine.handle(Incoming(stays.address, payload=f"mt:dec:{ref}"))
    assert "äldre version" in replies[0].text
    assert await service.meeting(ref) == changed

    # The one who declined presses their old "Ja": nothing happens and nothing is asked of them.
    leaving.last = leave_request
    await leaving.press("Ja, jag kommer")
    assert "Du har tackat nej" in leaving.text() and _t(app, "officials.nothing_to_do") in leaving.text()
    assert leaving.buttons() == []

    await staying.press("Ja, jag kommer")
    assert "Tack! Du är med" in staying.text()

    # The founder's "Ja, avboka" asked about this time, which a substitution does not change: it still holds.
    founder.last = cancel_question
    await founder.press("Ja, avboka")
    assert f"Mötet {ref} är avbokat" in founder.text()


async def test_the_digest_lists_only_what_is_on_that_day_when_it_is_sent(app, clock):
    service, reminders = app.booking, app.reminders
    founder = new_founder()
    slot = (await service.offer(["asf"], None, after=clock.now() + timedelta(days=1), limit=1))[0]
    meeting = await service.book(founder, slot, ["asf"], None, None)
    official = (await _officials(app, meeting))[0]
    day = meeting.start.astimezone(STOCKHOLM).date()
    seven_thirty = datetime(day.year, day.month, day.day, 7, 30, tzinfo=STOCKHOLM)
    # The digest as it was put together in the morning (a send that failed and is tried again holds this one).
    morning = Digest(Recipient(official.address, official.lang, official.id), day, seven_thirty, (meeting,))

    later = (await service.offer(["asf"], None, after=meeting.start + timedelta(days=2), limit=1,
                                 ignore_meeting_id=meeting.id))[0]
    moved = await service.move(meeting.ref, founder, later)
    assert moved.start.astimezone(STOCKHOLM).date() != day
    await app.outbox.take(official.address)

    clock.set(seven_thirty)
    await reminders.run_due()
    assert not any(meeting.ref in r.text for r in await app.outbox.take(official.address))
    await BookingTexts(app).send_digest(morning)
    assert not any(meeting.ref in r.text for r in await app.outbox.take(official.address))

    # A meeting still on its day is listed, as it is at the moment of sending.
    other = await book_first(app, topics=("asf",))
    them = (await _officials(app, other))[0]
    await app.outbox.take(them.address)
    other_day = other.start.astimezone(STOCKHOLM).date()
    await BookingTexts(app).send_digest(Digest(Recipient(them.address, them.lang, them.id), other_day, clock.now(), (other,)))
    digest = [r.text for r in await app.outbox.take(them.address)]
    assert len(digest) == 1 and other.ref in digest[0]


async def test_moving_to_the_time_it_already_has_is_refused_and_changes_nothing(app):
    service = app.booking
    founder = Chat(app, "console:same", pace=3)
    ref = await _book(app, founder.address)
    booked = await service.meeting(ref)
    for official in await _officials(app, booked):
        await app.outbox.take(official.address)
    await app.outbox.take(founder.address)

    await founder.say("mina möten")
    await founder.press(f"Flytta {ref}")
    current = f"bk:t:{int(booked.start.timestamp()) // 60}"
    assert current not in _payloads(founder)  # its own time is not offered as a new one
    local = booked.start.astimezone(STOCKHOLM)
    await founder.say(f"idag kl {local:%H:%M}")  # typed, the founder asks for exactly the time it has
    assert f"Mötet {ref} är redan {_when(booked)}" in founder.text()
    assert any(p.startswith("bk:t:") for p in _payloads(founder))  # other times to choose from
    founder.last = await app.engine.handle(Incoming(founder.address, payload=current))  # a button from before
    assert f"Mötet {ref} är redan" in founder.text()
    if "Flytta" in founder.buttons():
        await founder.press("Flytta")

    assert await service.meeting(ref) == booked
    for official in await _officials(app, booked):
        assert await app.outbox.take(official.address) == []
    assert await app.outbox.take(founder.address) == []


async def test_officials_are_answered_in_their_language_and_never_welcomed_as_founders(app):
    service = app.booking
    await book_first(app, new_founder())
    meeting = await book_first(app, new_founder())
    officials = await _officials(app, meeting)
    english = next(o for o in officials if o.lang == "en")  # demo-dana
    swedish = next(o for o in officials if o.lang == "sv")
    welcome = {_t(app, "core.first_contact", "sv"), _t(app, "core.first_contact", "en")}

    dana = await _inbox(app, english.address)
    assert "New request" in dana.text()
    await dana.press("Yes, I'll come")  # her first press: she never wrote to the bot
    assert [r.text for r in dana.last] == [_t(app, "booking.accepted", "en", ref=meeting.ref,
                                               time=format_time_range(meeting.start, meeting.end, "en"))]
    await dana.say("/agenda")
    assert "Your upcoming Dukat bord meetings" in dana.text()

    erik = await _inbox(app, swedish.address)
    await erik.say("hej")  # his first message, after the bot wrote to him
    assert not welcome & {r.text for r in erik.last}

    # An official linking their chat account: their first message is the code, not a founder's hello.
    code = await app.roles.create_invite("official", subject="demo-dana")
    linked = Chat(app, "tg:7007", pace=3)
    await linked.say(f"/start inv_{code}")
    assert len(linked.last) == 1 and "Done! You are now linked as Dana" in linked.text()


async def test_founders_stale_buttons_tell_the_truth_about_the_meeting(app):
    service = app.booking
    founder = Chat(app, "console:stale", pace=3)
    ref = await _book(app, founder.address)

    # "Ja, avboka" asked about one time; the meeting moves; the old button does not cancel the moved one.
    await founder.say("/avboka")
    asked = list(founder.last)
    await _move_to_another_day(app, founder, ref)
    moved = await service.meeting(ref)
    founder.last = asked
    await founder.press("Ja, avboka")
    assert f"Mötet {ref} har ändrats sedan du fick frågan: det är nu {_when(moved)}" in founder.text()
    assert (await service.meeting(ref)).active

    await founder.say("mina möten")
    listing = list(founder.last)
    await founder.say("/avboka")
    keep_question = list(founder.last)
    await founder.press("Ja, avboka")
    assert f"Mötet {ref} är avbokat" in founder.text()

    # After "Mötet är avbokat" the old "Nej, behåll" does not say it is kept.
    founder.last = keep_question
    await founder.press("Nej, behåll")
    assert "är kvar" not in founder.text()
    assert f"Mötet {ref} är redan avbokat" in founder.text() and "Boka ett möte" in founder.buttons()
    # The same for the list's old move and cancel buttons.
    for label in (f"Flytta {ref}", f"Avboka {ref}"):
        founder.last = listing
        await founder.press(label)
        assert f"Mötet {ref} är redan avbokat" in founder.text(), label
    founder.last = keep_question
    await founder.press("Ja, avboka")
    assert f"Mötet {ref} är redan avbokat" in founder.text()
    assert (await service.meeting(ref)).sequence == moved.sequence + 1  # cancelled once, nothing more

    await founder.press("Boka ett möte")
    assert "Innan vi bokar" in founder.text()


async def test_an_absence_is_recorded_with_all_its_declines_or_not_at_all(app):
    service = app.booking
    first = await book_first(app, new_founder())
    # A second meeting with the same officials, a day later.
    slot = next(s for s in await service.offer(list(first.topics), None, after=first.start + timedelta(days=1))
                if s.start.astimezone(STOCKHOLM).date() == (first.start + timedelta(days=1)).astimezone(STOCKHOLM).date())
    same = await _officials(app, first)
    second = await service.book(new_founder(), Slot(slot.start, slot.end, tuple(same)), list(first.topics), None, None)
    absent_id = first.official_ids[0]
    first, second = await service.meeting(first.ref), await service.meeting(second.ref)
    snap = await service.snapshot()
    absent = snap.official(absent_id)
    everyone = [o.address for o in snap.officials if o.address] + [first.founder_address, second.founder_address]
    for address in everyone:
        await app.outbox.take(address)

    # The second meeting's decline fails half-way (a fault in the database): nothing of the absence stays.
    await app.db.execute(
        "CREATE TRIGGER fail_second BEFORE UPDATE ON meetings WHEN OLD.id = '%s'"
        " BEGIN SELECT RAISE(ABORT, 'injected fault'); END" % second.id
    )
    official = Chat(app, absent.address, pace=3)
    days = [m.start.astimezone(STOCKHOLM).date().isoformat() for m in (first, second)]
    await official.say(f"/franvaro {days[0]} {days[1]}")
    confirm = list(official.last)
    await official.press("Ja, registrera")
    assert official.text() == _t(app, "core.error", absent.lang)
    rows = await app.db.fetchall("SELECT * FROM availability_exceptions WHERE official_id = ?", (absent_id,))
    assert rows == []
    assert await service.meeting(first.ref) == first and await service.meeting(second.ref) == second
    for address in everyone:
        assert await app.outbox.take(address) == [], address

    await app.db.execute("DROP TRIGGER fail_second")
    official.last = confirm
    await official.press("Ja, registrera")
    assert "Frånvaro registrerad" in official.text()
    rows = await app.db.fetchall("SELECT * FROM availability_exceptions WHERE official_id = ?", (absent_id,))
    assert len(rows) == 1
    for meeting in (first, second):
        after = await service.meeting(meeting.ref)
        assert absent_id not in after.official_ids and after.sequence == meeting.sequence + 1
        assert any(meeting.ref in r.text for r in await app.outbox.take(meeting.founder_address))


async def test_upgrade_keeps_each_meetings_current_version(app):
    """A database from before versions: the migration records every meeting's version as it stands."""
    meeting = await book_first(app, new_founder())
    await app.db.execute("DROP TABLE meeting_versions")
    await app.db.execute("DELETE FROM schema_migrations WHERE package = 'booking' AND version = 2")
    from bot.app import all_migrations

    await app.db.migrate(all_migrations())
    rows = await app.db.fetchall("SELECT * FROM meeting_versions WHERE meeting_id = ?", (meeting.id,))
    assert [(r["sequence"], r["official_ids"]) for r in rows] == [(0, '["%s"]' % '","'.join(meeting.official_ids))]


async def test_an_imported_official_writing_first_is_not_welcomed_as_a_founder(app):
    """An official whose address came from the officials file, never written to, types a greeting first."""
    from booking import repository as repo

    async with app.db.read() as conn:
        official = next(o for o in await repo.officials(conn) if o.address)
    welcome = {_t(app, "core.first_contact", "sv"), _t(app, "core.first_contact", "en")}
    first = await _inbox(app, official.address)
    await first.say("hej")
    assert first.last and not welcome & {r.text for r in first.last}

    founder = Chat(app, "tg:424242", pace=3)
    await founder.say("hej")
    assert welcome & {r.text for r in founder.last}  # a founder's first message is still welcomed
