"""Property tests (hypothesis): the engine answers anything without raising; clean_text is idempotent and
strips what it promises; random sequences of bookings, answers, cancels, moves, absences and reminder
runs never double-book an official, never confirm a meeting without two organisations and never
remind anyone of a cancelled meeting."""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import unicodedata
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from booking import repository as repo
from booking.model import BookingError
from bot.app import build_app
from bot.clock import FakeClock
from bot.config import Settings
from bot.engine import MAX_MESSAGE_CHARS, clean_text
from bot.messages import Incoming
from knowledge.store import KnowledgeStore

from .conftest import START

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
INVISIBLE = [chr(c) for c in (*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x206A), 0xFEFF)]
CONTROL = [chr(c) for c in (*range(0, 32), 127, *range(0x80, 0xA0)) if chr(c) not in "\n\t"]

weird_text = st.text(
    alphabet=st.one_of(st.characters(), st.sampled_from(INVISIBLE + CONTROL + list("<>&\"'/:\\%{}"))), max_size=300
)


@pytest.fixture(scope="module")
def loop_and_app(tmp_path_factory):
    loop = asyncio.new_event_loop()
    path = tmp_path_factory.mktemp("props")
    clock = FakeClock(START)
    app = loop.run_until_complete(build_app(Settings(db_path=str(path / "p.db"), data_dir=str(path / "d")), clock=clock,
                                            knowledge=KnowledgeStore()))
    yield loop, app
    loop.run_until_complete(app.close())
    loop.close()


_addresses = itertools.count()


@SETTINGS
@given(text=weird_text, lang=st.sampled_from([None, "sv", "en", "xx", ""]))
def test_the_engine_answers_any_text_without_raising(loop_and_app, text, lang):
    loop, app = loop_and_app
    app.clock.advance(seconds=5)
    replies = loop.run_until_complete(app.engine.handle(Incoming(f"console:p{next(_addresses)}", text=text, lang_hint=lang)))
    assert replies and all(r.text.strip() for r in replies)
    assert all(r.text != app.catalogue.text("sv", "core.error") for r in replies)


@SETTINGS
@given(payload=st.one_of(
    weird_text.map(lambda t: t[:64]),
    st.tuples(st.sampled_from(["faq", "bk", "mt", "pv", "lang", "of", "co", "gd", "zz", ""]), weird_text)
    .map(lambda p: f"{p[0]}:{p[1]}"[:64]),
    st.tuples(st.sampled_from(["bk:t", "bk:cx", "bk:cxy", "bk:mv", "bk:re", "bk:more", "bk:tp", "bk:mun", "mt:acc", "mt:dec",
                                "gd:done", "gd:skip", "gd:back", "gd:faq"]),
              st.one_of(st.integers(-10**20, 10**20).map(str), st.text(max_size=20))).map(lambda p: f"{p[0]}:{p[1]}"[:64]),
))
def test_the_engine_answers_any_button_payload_without_raising(loop_and_app, payload):
    loop, app = loop_and_app
    app.clock.advance(seconds=5)
    address = f"console:p{next(_addresses)}"
    loop.run_until_complete(app.engine.handle(Incoming(address, text="/boka")))  # some payloads need a flow
    replies = loop.run_until_complete(app.engine.handle(Incoming(address, payload=payload)))
    assert replies and all(r.text.strip() for r in replies)
    assert all(r.text != app.catalogue.text("sv", "core.error") for r in replies)


@SETTINGS
@given(text=weird_text)
def test_clean_text_is_idempotent_and_leaves_nothing_invisible(text):
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert not any(ch in cleaned for ch in INVISIBLE)
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in cleaned)  # Cs: lone surrogates, dropped
    assert cleaned == cleaned.strip() and "  " not in cleaned
    visible = [ch for ch in text
               if ch not in INVISIBLE and unicodedata.category(ch) not in ("Cc", "Cs") and not ch.isspace()]
    assert [ch for ch in cleaned if not ch.isspace()] == visible  # nothing visible is lost or reordered


def test_the_length_cap_is_what_the_engine_says():
    assert MAX_MESSAGE_CHARS == 1000


# ---------------------------------------------------------------------- booking sequences
operation = st.tuples(
    st.sampled_from(["book", "book", "accept", "accept", "decline", "cancel", "move", "absence", "remind"]),
    st.integers(0, 10_000),
)


async def _run_sequence(ops: list[tuple[str, int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock(START)
        app = await build_app(Settings(db_path=str(Path(tmp) / "b.db"), data_dir=str(Path(tmp) / "d")), clock=clock,
                              knowledge=_KNOWLEDGE)
        try:
            await _check_sequence(app, clock, ops)
        finally:
            await app.close()


async def _check_sequence(app, clock, ops) -> None:
    service = app.booking
    reminders = app.reminders
    rules = service.rules
    snap = await service.snapshot()
    officials = [o for o in snap.officials if o.address]
    address_of = {o.id: o.address for o in officials}
    org_of = {o.id: o.organisation_id for o in snap.officials}
    founders: dict[str, str] = {}  # ref -> founder
    reminded_cancelled: list[str] = []

    async def send(due) -> bool:
        async with app.db.read() as conn:
            current = await repo.meeting_by_ref(conn, due.meeting.ref)
        if current is None or not current.active:
            reminded_cancelled.append(due.meeting.ref)
        return True

    async def send_digest(digest) -> bool:
        for m in digest.meetings:
            await send(type("D", (), {"meeting": m})())
        return True

    reminders.send, reminders.send_digest = send, send_digest
    topics = [["asf"], ["asf", "foretagsform"], ["lonebidrag"], ["kommun"]]
    for n, (op, k) in enumerate(ops):
        async with app.db.read() as conn:
            active = await repo.active_meetings(conn, clock.now())
        try:
            if op == "book":
                chosen = topics[k % len(topics)]
                slots = await service.offer(chosen, None, limit=5)
                if slots:
                    founder = f"console:prop-{n}"
                    m = await service.book(founder, slots[k % len(slots)], chosen, None, None, "sv")
                    founders[m.ref] = founder
            elif op in ("accept", "decline") and active:
                m = active[k % len(active)]
                oid = m.official_ids[k % len(m.official_ids)]
                await service.respond(address_of[oid], m.ref, accept=op == "accept")
            elif op == "cancel" and active:
                m = active[k % len(active)]
                await service.cancel(m.ref, m.founder_address)
            elif op == "move" and active:
                m = active[k % len(active)]
                later = await service.offer(list(m.topics), m.municipality, limit=3,
                                            after=m.start + timedelta(hours=k % 72), ignore_meeting_id=m.id)
                if later:
                    await service.move(m.ref, m.founder_address, later[k % len(later)])
            elif op == "absence":
                official = officials[k % len(officials)]
                day = clock.now() + timedelta(days=k % 10)
                await service.add_absence(official.id, day, day + timedelta(hours=1 + k % 30))
            elif op == "remind":
                clock.advance(minutes=30 + k % (60 * 30))
                await reminders.run_due()
        except BookingError:
            pass  # refusals (taken, too many, not allowed) are fine; they must change nothing (checked below)

        async with app.db.read() as conn:
            current = await repo.active_meetings(conn, clock.now() - timedelta(days=400))
            for a, b in itertools.combinations(current, 2):
                shared = set(a.official_ids) & set(b.official_ids)
                assert not (shared and a.start < b.end + rules.buffer and b.start < a.end + rules.buffer), (
                    f"double booked {shared} in {a.ref} and {b.ref} after {op}")
            for m in current:
                parts = await repo.participants(conn, m.id)
                attending = [p for p in parts if str(p.state) != "declined"]
                assert {p.official_id for p in attending} == set(m.official_ids)
                assert len({org_of[p.official_id] for p in attending}) >= 2, f"{m.ref} after {op}"
                if str(m.state) == "confirmed":
                    assert all(str(p.state) == "accepted" for p in attending)
        assert not reminded_cancelled, f"reminded of cancelled {reminded_cancelled}"


_KNOWLEDGE = KnowledgeStore()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(operation, min_size=3, max_size=30))
def test_random_booking_sequences_keep_the_invariants(ops):
    asyncio.run(_run_sequence(ops))
