"""The booking service on a real database file with the demo officials and a fake clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from icalendar import Calendar

from booking import repository as repo
from booking.model import MeetingNotFound, MeetingState, NotAllowed, SlotTaken, TooManyMeetings
from bot.roles import COORDINATOR, OFFICIAL, Redeemed, UnknownSubject
from bot.app import build_app
from tests.booking_helpers import book_first, new_founder, outbox_replies, outbox_texts, overlaps


async def test_booking_invites_two_officials_from_two_organisations(app):
    meeting = await book_first(app, idea="Ett café som anställer nyanlända")
    assert meeting.state == MeetingState.PENDING
    snap = await app.booking.snapshot()
    orgs = {snap.official(i).organisation_id for i in meeting.official_ids}
    assert len(meeting.official_ids) >= 2 and len(orgs) >= 2
    for official_id in meeting.official_ids:
        replies = await outbox_replies(app, snap.official(official_id).address)
        assert len(replies) == 1
        invitation = replies[0]
        assert meeting.ref in invitation.text and "Ett café som anställer nyanlända" in invitation.text
        assert [b.payload for b in invitation.all_buttons()] == [f"mt:acc:{meeting.ref}:0", f"mt:dec:{meeting.ref}:0"]  # version 0
        calendar = Calendar.from_ical(invitation.attachments[0].content)
        assert calendar["METHOD"] == "REQUEST"


async def test_all_accept_confirms_and_tells_the_founder(app):
    service = app.booking
    founder = new_founder()
    meeting = await book_first(app, founder)
    snap = await service.snapshot()
    first, second = (snap.official(i) for i in meeting.official_ids[:2])
    _, outcome = await service.respond(first.address, meeting.ref, accept=True)
    assert outcome == "accepted"
    _, outcome = await service.respond(first.address, meeting.ref, accept=True)
    assert outcome == "already"
    confirmed, outcome = await service.respond(second.address, meeting.ref, accept=True)
    assert outcome == "confirmed" and confirmed.state == MeetingState.CONFIRMED
    assert any("bekräftat" in t for t in await outbox_texts(app, founder))


async def test_decline_finds_a_substitute_that_keeps_the_meeting_valid(app):
    service = app.booking
    founder = new_founder()
    meeting = await book_first(app, founder, topics=("asf",))
    snap = await service.snapshot()
    decliner = snap.official(meeting.official_ids[0])
    changed, outcome = await service.respond(decliner.address, meeting.ref, accept=False)
    assert outcome == "substituted"
    assert decliner.id not in changed.official_ids and len(changed.official_ids) == len(meeting.official_ids)
    assert len({snap.official(i).organisation_id for i in changed.official_ids}) >= 2
    assert changed.sequence == meeting.sequence + 1
    substitute = snap.official(changed.official_ids[-1])
    assert any(meeting.ref in t for t in await outbox_texts(app, substitute.address))
    founder_msgs = await outbox_replies(app, founder)
    assert substitute.name in founder_msgs[-1].text
    assert Calendar.from_ical(founder_msgs[-1].attachments[0].content).walk("VEVENT")[0]["SEQUENCE"] == 1
    with pytest.raises(NotAllowed):  # a declined official cannot answer again
        await service.respond(decliner.address, meeting.ref, accept=True)


async def test_decline_without_substitute_cancels_and_offers_new_times(app):
    service = app.booking
    founder = new_founder()
    meeting = await book_first(app, founder, topics=("asf",))
    snap = await service.snapshot()
    af = [i for i in meeting.official_ids if snap.official(i).organisation_id == "demo-af"]
    assert af, meeting.official_ids
    current = meeting
    outcome = ""
    for _ in range(3):  # the Arbetsförmedlingen officials decline one after the other
        attending_af = [i for i in current.official_ids if snap.official(i).organisation_id == "demo-af"]
        if not attending_af:
            break
        current, outcome = await service.respond(snap.official(attending_af[0]).address, meeting.ref, accept=False)
        if outcome == "no_substitute":
            break
    assert outcome == "no_substitute" and current.state == MeetingState.CANCELLED
    last = (await outbox_replies(app, founder))[-1]
    assert "avbokat" in last.text
    assert last.all_buttons() and all(b.payload.startswith(f"bk:re:{meeting.ref}:") for b in last.all_buttons())
    assert Calendar.from_ical(last.attachments[0].content)["METHOD"] == "CANCEL"


async def test_founder_limit_and_foreign_meetings(app):
    service = app.booking
    founder = new_founder()
    first = await book_first(app, founder, index=0)
    await book_first(app, founder, index=2)
    with pytest.raises(TooManyMeetings):
        await book_first(app, founder, index=4)
    with pytest.raises(MeetingNotFound):
        await service.cancel(first.ref, "console:someone-else")
    with pytest.raises(MeetingNotFound):  # a stranger cannot answer for an official
        await service.respond("console:someone-else", first.ref, accept=False)
    assert (await service.meeting(first.ref)).state == MeetingState.PENDING
    cancelled = await service.cancel(first.ref, founder)
    assert cancelled.state == MeetingState.CANCELLED
    with pytest.raises(NotAllowed):
        await service.cancel(first.ref, founder)
    await book_first(app, founder, index=4)  # a cancelled meeting frees a place


async def test_move_keeps_uid_raises_sequence_and_tells_dropped_officials(app):
    service = app.booking
    founder = new_founder()
    meeting = await book_first(app, founder)
    snap = await service.snapshot()
    for official_id in meeting.official_ids:
        await outbox_texts(app, snap.official(official_id).address)
    later = (await service.offer(list(meeting.topics), None, after=meeting.start + timedelta(days=2), ignore_meeting_id=meeting.id))[0]
    moved = await service.move(meeting.ref, founder, later)
    assert (moved.id, moved.ref) == (meeting.id, meeting.ref)
    assert moved.start == later.start and moved.sequence == meeting.sequence + 1
    details = await service.details(moved)
    from bot.booking_texts import BookingTexts

    before = Calendar.from_ical(BookingTexts(app).ics(await service.details(meeting), "sv").content).walk("VEVENT")[0]
    after = Calendar.from_ical(BookingTexts(app).ics(details, "sv").content).walk("VEVENT")[0]
    assert after["UID"] == before["UID"] and after["SEQUENCE"] > before["SEQUENCE"]
    assert all(p.state == "invited" for p in details.participants)


async def test_stale_slot_is_refused_with_slot_taken(app):
    service = app.booking
    slots = await service.offer(["asf"], None)
    await service.book(new_founder(), slots[0], ["asf"], None, None)
    with pytest.raises(SlotTaken):
        await service.book(new_founder(), slots[0], ["asf"], None, None)


async def test_invite_codes_work_once_and_expire(app, clock):
    """Officials' codes are role invites with the official as subject (one invite system, bot/roles.py)."""
    service, roles = app.booking, app.roles
    code = await roles.create_invite(OFFICIAL, subject="demo-anna")
    assert await roles.redeem_invite(code.lower(), "tg:4242", COORDINATOR) is None  # a code is for its role only
    assert await roles.redeem_invite(code.lower(), "tg:4242", OFFICIAL) == Redeemed(OFFICIAL, "demo-anna")
    official = await service.official_by_address("tg:4242")
    assert official is not None and official.id == "demo-anna"
    assert "official" in await roles.roles_of("tg:4242")
    assert await roles.redeem_invite(code, "tg:999", OFFICIAL) is None
    old = await roles.create_invite(OFFICIAL, subject="demo-karl")
    clock.advance(timedelta(days=8))
    assert await roles.redeem_invite(old, "tg:999", OFFICIAL) is None
    assert await roles.redeem_invite("NOSUCHCODE", "tg:999", OFFICIAL) is None
    assert await service.official_by_address("tg:999") is None
    with pytest.raises(UnknownSubject):
        await roles.create_invite(OFFICIAL, subject="no-such-official")
    with pytest.raises(UnknownSubject):
        await roles.create_invite(OFFICIAL)


async def test_absence_moves_a_booked_meeting_to_a_substitute(app):
    service = app.booking
    meeting = await book_first(app)
    absent = meeting.official_ids[0]
    results = await service.add_absence(absent, meeting.start - timedelta(hours=1), meeting.end + timedelta(hours=1))
    assert [outcome for _, outcome in results] in (["substituted"], ["no_substitute"])
    assert absent not in (await service.meeting(meeting.ref)).official_ids


async def test_fifty_concurrent_bookers_never_double_book(app, settings, clock, knowledge_store):
    """50 founders race for the same few times through five separate database connections."""
    apps = [app] + [await build_app(settings, clock=clock, knowledge=knowledge_store) for _ in range(4)]
    try:
        slots = await app.booking.offer(["asf"], None, limit=3)

        async def attempt(i: int):
            service = apps[i % len(apps)].booking
            try:
                return await service.book(f"console:racer-{i}", slots[i % len(slots)], ["asf"], None, None)
            except SlotTaken:
                return await service.offer(["asf"], None, limit=3)  # the loser gets fresh times

        results = await asyncio.gather(*(attempt(i) for i in range(50)))
    finally:
        for other in apps[1:]:
            await other.close()
    booked = [r for r in results if not isinstance(r, list)]
    losers = [r for r in results if isinstance(r, list)]
    assert 1 <= len(booked) <= len(slots) and len(booked) + len(losers) == 50
    assert all(alternatives for alternatives in losers)
    assert await overlaps(app) == []
    async with app.db.read() as conn:
        rows = await repo.active_meetings(conn, clock.now())
    assert len(rows) == len(booked)


async def test_every_bookable_topic_alone_can_be_booked_with_the_demo_officials(app):
    service = app.booking
    for topic in (t.id for t in app.knowledge.current.topics.values() if t.bookable):
        assert await service.offer([topic], None), topic
