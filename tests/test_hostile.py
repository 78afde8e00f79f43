"""Hostile input: very long, empty, invisible, control and bidi characters, HTML, forged and stale button
payloads, flooding. Each gets a clear answer (when flooding, a short "not read" to every message over the
limit) and leaves the database exactly as it was, apart from the moment the user was last seen."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from io import StringIO

import pytest

from bot.channels.console import ConsoleChat
from bot.messages import Incoming

from .booking_helpers import book_first
from .conftest import Chat

# Columns that record when something happened rather than what: they may move on any message.
# pending: the options the last reply showed (a refusal offers "Börja om"), conversation memory, not data.
VOLATILE = {("users", "last_seen"), ("users", "pending"), ("sessions", "updated_at")}


def dump(path: str) -> dict[str, list[tuple]]:
    """Every row of every table (volatile columns left out), sorted, read through a separate connection."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        out = {}
        for table in tables:
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if (table, r[1]) not in VOLATILE]
            rows = conn.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()
            out[table] = sorted(rows, key=repr)
        return out
    finally:
        conn.close()


def t(app, key: str, lang: str = "sv", **params) -> str:
    return app.catalogue.text(lang, key, **params)


async def known(app, address: str) -> Chat:
    """A user who has written before (so first contact does not count as a change)."""
    chat = Chat(app, address, pace=5)
    await chat.say("hej")
    return chat


@pytest.mark.parametrize(
    "text, key",
    [
        ("a" * 1001, "core.too_long"),
        ("Vad är ett ASF? " * 200, "core.too_long"),
        ("x" * 100_000, "core.too_long"),
        ("\u200b" * 5000, "core.too_long"),  # refused before cleaning: nobody types 5000 invisible characters
        ("", "core.empty"),
        ("   \n\t  ", "core.empty"),
        ("\u200b\u200d\ufeff\u2060", "core.empty"),
        ("\x00\x07\x1b\x7f", "core.empty"),
        ("\u202e\u2066\u2069\u200f", "core.empty"),
    ],
    ids=["1001", "repeated", "100k", "zero-width-flood", "empty", "whitespace", "zero-width", "control", "bidi"],
)
async def test_long_empty_and_invisible_messages_get_a_clear_answer_and_change_nothing(app, text, key):
    chat = await known(app, "console:hostile")
    before = dump(app.settings.db_path)
    await chat.say(text)
    assert chat.text() == t(app, key, max=1000)
    assert dump(app.settings.db_path) == before


async def test_invisible_and_control_characters_do_not_change_the_answer(app):
    plain = await known(app, "console:plain")
    tricky = await known(app, "console:tricky")
    await plain.say("Vad är ett ASF?")
    await tricky.say("Vad\u200b är\u202e ett\x07 A\u2066SF\ufeff?\x00")
    assert tricky.text() == plain.text()
    assert tricky.last[0].all_buttons() == plain.last[0].all_buttons()


async def test_a_message_of_exactly_the_cap_is_answered(app):
    chat = await known(app, "console:cap")
    await chat.say(("Vad är ett ASF? " * 70)[:1000])
    assert chat.text() != t(app, "core.too_long", max=1000)


async def test_html_and_terminal_escapes_reach_no_renderer_as_markup(app):
    chat = await known(app, "console:html")
    before = dump(app.settings.db_path)
    replies = await chat.say("/<b>fet</b>\x1b[31m")
    # The reply is plain text naming the command as typed, minus the control character.
    assert replies[0].text == t(app, "core.unknown_command", command="/<b>fet</b>[31m")
    assert dump(app.settings.db_path) == before
    out = StringIO()
    session = ConsoleChat(app, "console:html", out=out)
    session.show(replies)
    assert "\x1b" not in out.getvalue() and "<b>fet</b>" in out.getvalue()  # shown literally, never interpreted


async def test_script_text_is_answered_as_a_question_and_never_echoed_as_markup(app):
    chat = await known(app, "console:script")
    await chat.say("<script>alert('x')</script> <img src=x onerror=alert(1)>")
    assert chat.last and all("<script>" not in r.text and "onerror" not in r.text for r in chat.last)


@pytest.mark.parametrize(
    "payload, key",
    [
        ("zz:1", "core.unknown_button"),
        ("nocolon", "core.unknown_button"),
        (":", "core.unknown_button"),
        ("faq:nonexistent-entry", "core.unknown_button"),
        ("faq:", "core.unknown_button"),
        ("faq:../../etc/passwd", "core.unknown_button"),
        ("pv:junk", "core.unknown_button"),
        ("pv:", "core.unknown_button"),
        ("lang:xx", "core.unknown_button"),
        ("bk:junk", "booking.stale_button"),
        ("bk:t:junk", "booking.stale_button"),
        ("bk:yes", "booking.stale_button"),
        ("bk:cx:'; DROP TABLE meetings;--", "booking.not_found"),
        ("bk:cxy:ZZZZZ", "booking.not_found"),
        ("bk:mv:ZZZZZ", "booking.not_found"),
        ("mt:acc:ZZZZZ", "booking.not_your_meeting"),
        ("of:abs:20260101:20260102", "roles.refused_official"),
    ],
)
async def test_forged_and_stale_payloads_are_refused_without_effect(app, payload, key):
    chat = await known(app, "console:forger")
    before = dump(app.settings.db_path)
    replies = await app.engine.handle(Incoming("console:forger", payload=payload))
    key = key if app.catalogue.has(key) else "roles.refused"
    assert [r.text for r in replies] == [t(app, key)]
    assert dump(app.settings.db_path) == before


async def test_absurd_times_in_the_booking_flow_are_refused_without_effect(app):
    chat = await known(app, "console:absurd")
    await chat.say("/boka")
    await chat.press("bk:ok")
    before = dump(app.settings.db_path)
    for payload in ("bk:t:99999999999999999999", "bk:t:-1", "bk:t:0", "bk:t:1e9", "bk:more:nan"):
        replies = await app.engine.handle(Incoming("console:absurd", payload=payload))
        assert replies and all(r.text for r in replies), payload
        after = dump(app.settings.db_path)
        assert after["meetings"] == before["meetings"] and after["participants"] == before["participants"], payload


async def test_another_users_meeting_cannot_be_seen_cancelled_moved_or_answered(app, clock):
    meeting = await book_first(app, founder="console:alice")
    mallory = await known(app, "console:mallory")
    outsider = next(o for o in (await app.booking.snapshot()).officials
                    if o.id not in meeting.official_ids and o.address)
    official = await known(app, outsider.address)
    before = dump(app.settings.db_path)
    ref = meeting.ref
    attempts = [
        (mallory, f"bk:cx:{ref}", "booking.not_found"),
        (mallory, f"bk:cxy:{ref}", "booking.not_found"),
        (mallory, f"bk:mv:{ref}", "booking.not_found"),
        (mallory, f"bk:re:{ref}:{int(meeting.start.timestamp() // 60)}", "booking.not_found"),
        (mallory, f"mt:acc:{ref}", "booking.not_your_meeting"),
        (official, f"mt:acc:{ref}", "booking.not_your_meeting"),
        (official, f"mt:dec:{ref}", "booking.not_your_meeting"),
    ]
    for chat, payload, key in attempts:
        replies = await app.engine.handle(Incoming(chat.address, payload=payload))
        key = key if app.catalogue.has(key) else "roles.refused"
        assert [r.text for r in replies] == [t(app, key)], payload
        assert ref not in replies[0].text
    for text in (f"/avboka {ref}", "/mina"):
        await mallory.say(text)
        assert ref not in mallory.text() and "alice" not in mallory.text()
    after = dump(app.settings.db_path)
    assert after == before


async def test_flooding_is_refused_with_a_reply_each_time_then_recovers(app, clock):
    chat = await known(app, "console:flood")
    limiter = app.engine.rate_limiter
    clock.advance(timedelta(minutes=5))  # a full bucket
    answered = 0
    for _ in range(limiter.capacity):
        replies = await app.engine.handle(Incoming("console:flood", text="Vad är ett ASF?"))
        assert replies and replies[0].text != t(app, "core.slow_down")
        answered += 1
    before = dump(app.settings.db_path)
    warned = await app.engine.handle(Incoming("console:flood", text="Vad är ett ASF?"))
    assert [r.text for r in warned] == [t(app, "core.slow_down")]
    for payload in ("faq:asf-kriterier", "bk:cx:ABCDE", None):  # not among the options just shown: counted
        refused = await app.engine.handle(Incoming("console:flood", text="/glom" if payload is None else None, payload=payload))
        assert [r.text for r in refused] == [t(app, "flood.not_read", seconds=2)]
    assert dump(app.settings.db_path) == before  # refused before anything is stored
    others = await app.engine.handle(Incoming("console:neighbour", text="hej"))
    assert others and others[-1].text != t(app, "core.slow_down")  # one flooder does not silence others
    clock.advance(timedelta(seconds=10))
    back = await app.engine.handle(Incoming("console:flood", text="Vad är ett ASF?"))
    assert back and back[0].text != t(app, "core.slow_down")
