"""The booking dialogue as founders and officials meet it: through the engine, and in the console."""

from __future__ import annotations

import re
from datetime import timedelta

from icalendar import Calendar

from booking.model import MeetingState
from bot.messages import Incoming
from tests.conftest import Chat
from tests.test_cli import run


async def book_through_chat(chat: Chat, idea: str | None = "Ett café med arbetsträning") -> str:
    await chat.say("Vad är ett ASF?")
    await chat.say("jag vill boka ett möte")
    assert "Innan vi bokar" in chat.text()
    await chat.press("bk:ok")
    assert "✓ Vad ett ASF är" in chat.buttons()  # pre-selected from what they asked about
    await chat.press("Företagsform")
    assert "✓ Företagsform" in chat.buttons()
    await chat.press("Klar")
    if idea:
        await chat.say(idea)
    else:
        await chat.press("Hoppa över")
    assert "kommun" in chat.text()
    await chat.say("botkyrka")
    times = chat.buttons()
    assert 3 <= len(times) - 2 <= 5 and "Fler tider" in times
    await chat.press("Fler tider")
    later = chat.buttons()
    assert later[0] not in times
    await chat.press(later[0])
    assert "Stämmer det här?" in chat.text() and "Botkyrka" in chat.text()
    await chat.press("Boka")
    text = chat.text()
    assert "Bokat! Referens:" in text
    attachment = chat.last[-1].attachments[0]
    assert attachment.filename.endswith(".ics") and Calendar.from_ical(attachment.content)["METHOD"] == "REQUEST"
    return re.search(r"Referens: (\w+)", text)[1]


async def test_founder_books_sees_moves_and_cancels(app):
    founder = Chat(app, "console:anna", pace=3)
    ref = await book_through_chat(founder)
    meeting = await app.booking.meeting(ref)
    assert meeting.municipality == "Botkyrka" and set(meeting.topics) == {"asf", "foretagsform"}
    assert meeting.idea == "Ett café med arbetsträning"

    await founder.say("mina möten")
    assert ref in founder.text() and "väntar på svar" in founder.text()
    await founder.press(f"Flytta {ref}")
    assert "Vilken tid passar bättre" in founder.text()
    new_time = founder.buttons()[1]
    await founder.press(new_time)
    await founder.press("Flytta")
    assert f"Mötet {ref} är flyttat" in founder.text()
    moved = await app.booking.meeting(ref)
    assert moved.sequence == 1 and moved.start != meeting.start

    await founder.say("/avboka")
    assert "Vill du avboka" in founder.text()
    await founder.press("Nej, behåll")
    assert (await app.booking.meeting(ref)).active
    await founder.say("/avboka")
    await founder.press("Ja, avboka")
    assert "avbokat" in founder.text()
    assert Calendar.from_ical(founder.last[-1].attachments[0].content)["METHOD"] == "CANCEL"
    await founder.say("/mina")
    assert "inga kommande" in founder.text()


async def test_official_accepts_and_declines_through_buttons(app):
    founder = Chat(app, "console:bo", pace=3)
    ref = await book_through_chat(founder, idea=None)
    meeting = await app.booking.meeting(ref)
    snap = await app.booking.snapshot()
    first, second = (snap.official(i) for i in meeting.official_ids[:2])

    official = Chat(app, first.address, pace=3)
    official.last = await app.outbox.take(first.address)
    assert ref in official.text() and "ingen beskrivning" in official.text()
    await official.press("Ja, jag kommer")
    assert "Tack!" in official.text()

    other = Chat(app, second.address, pace=3)
    other.last = await app.outbox.take(second.address)
    await other.press("Nej, jag kan inte")
    assert "tar din plats" in other.text() or "avbokat" in other.text()
    founder.last = await app.outbox.take("console:bo")
    assert ref in founder.text()

    # A stranger pressing the same buttons changes nothing.
    stranger = Chat(app, "console:stranger", pace=3)
    await stranger.say("hej")
    before = await app.booking.meeting(ref)
    stranger.last = await app.engine.handle(Incoming("console:stranger", payload=f"mt:dec:{ref}"))
    assert "hittar jag inte" in stranger.text()
    stranger.last = await app.engine.handle(Incoming("console:stranger", payload=f"bk:cxy:{ref}"))
    assert "hittar inget sådant möte" in stranger.text()
    assert await app.booking.meeting(ref) == before
    await stranger.say("/agenda")
    assert stranger.text() == app.catalogue.text("sv", "roles.refused_official")


async def test_half_finished_booking_survives_a_restart(settings, clock, knowledge_store):
    from bot.app import build_app

    app = await build_app(settings, clock=clock, knowledge=knowledge_store)
    chat = Chat(app, "console:restart", pace=3)
    await chat.say("/boka")
    await chat.press("bk:ok")
    await chat.press("Lokaler")
    await chat.press("Klar")
    await app.close()

    app = await build_app(settings, clock=clock, knowledge=knowledge_store)
    try:
        chat.app = app
        await chat.say("Second hand-butik med arbetsträning")
        assert "kommun" in chat.text()
        await chat.press("Vet inte än")
        await chat.press(chat.buttons()[0])
        await chat.press("Boka")
        assert "Bokat!" in chat.text()
    finally:
        await app.close()


async def test_invite_code_links_an_official(app):
    code = await app.roles.create_invite("official", subject="demo-cecilia")
    official = Chat(app, "tg:5001", pace=3)
    await official.say(f"/start inv_{code}")
    assert "Cecilia Demorådgivare" in official.text()
    await official.say(f"/start inv_{code}")
    assert "Koden fungerar inte" in official.text()
    await official.say("/agenda")
    assert "inga kommande" in official.text()


async def test_bad_input_in_the_flow(app, clock):
    chat = Chat(app, "console:odd", pace=3)
    await chat.say("/boka")
    await chat.press("bk:ok")
    for topic in list(chat.buttons()):
        if topic.startswith("✓"):
            await chat.press(topic)
    await chat.press("Klar")
    assert "minst ett ämne" in chat.text()
    await chat.press("Lokaler")
    await chat.press("Klar")
    await chat.say("x" * 400)
    assert "högst" in chat.text()
    await chat.say("var är jag?")  # asked where they are, not their idea
    assert "håller du på att boka ett möte" in chat.text()
    await chat.say("hjälp")  # in the flow: how to answer this step, the step kept
    assert "Skriv en rad om vad företaget ska göra" in chat.text()
    session = await app.users.load_session("console:odd")
    assert (session.flow, session.step, session.data.get("idea")) == ("booking", "idea", None)
    await chat.say("Ett kafé där folk får hjälp tillbaka till jobb")  # an idea, though it has "hjälp" in it
    session = await app.users.load_session("console:odd")
    assert session.step == "municipality" and session.data["idea"].startswith("Ett kafé")
    await chat.say("1234; DROP TABLE")
    assert "ingen kommun med det namnet" in chat.text()
    await chat.say("Vad är ett ASF")  # a question in the middle is answered, and the flow waits
    assert "arbetsintegrerande" in chat.text()
    await chat.say("Vad kostar det")
    assert "Ansvarig:" in chat.text()
    await chat.say("Stockholm")  # one word is always a place, even one the FAQ mentions
    assert "lediga tiderna" in chat.text()
    for payload in ("bk:t:abc", "bk:t:-5", "bk:t:999999999999", "bk:more:zz", "bk:zz", "bk:tp:nonexistent"):
        replies = await app.engine.handle(Incoming("console:odd", payload=payload))
        assert replies and replies[0].text
    assert (await app.booking.upcoming_for("console:odd")) == []


async def test_english_founder_books(app):
    chat = Chat(app, "console:en", lang_hint="en", pace=3)
    await chat.say("I want to book a meeting")
    assert "Before we book" in chat.text()
    await chat.press("bk:ok")
    await chat.press("Networks and the ASF register")
    await chat.press("Done")
    await chat.press("Skip")
    await chat.press("Don't know yet")
    await chat.press(chat.buttons()[0])
    await chat.press("Book")
    assert "Booked! Reference:" in chat.text()


def test_console_newcomer_books_declines_as_official_and_cancels(tmp_path):
    """The issue's "done when", with only the console: book, see it, play the official, decline, cancel."""
    booking = "Vad är ett ASF?\nboka möte\n1\n12\nEn idé om ett café\nBotkyrka\n1\n1\n"
    result = run(["chat"], tmp_path, stdin=booking)
    assert result.returncode == 0, result.stderr
    assert "Bokat! Referens:" in result.stdout
    ref = re.search(r"Referens: (\w+)", result.stdout)[1]
    ics = re.search(r"(\S+\.ics)", result.stdout)[1]
    assert Calendar.from_ical(open(ics, "rb").read()).walk("VEVENT")[0]["UID"]

    listing = run(["chat"], tmp_path, stdin="mina möten\n")
    assert ref in listing.stdout

    meetings = run(["meetings", "list"], tmp_path).stdout
    names = re.search(rf"{ref}\t[^\t]+\t[^\t]+\t([^\t]+)", meetings)[1].split(", ")
    ids = {line.split("\t")[1]: line.split("\t")[0] for line in run(["officials", "list"], tmp_path).stdout.splitlines()}
    official = ids[names[0]]
    declined = run(["chat", "--as", f"console:{official}"], tmp_path, stdin="2\n")
    assert ref in declined.stdout and ("tar din plats" in declined.stdout or "avbokat" in declined.stdout)

    founder = run(["chat"], tmp_path, stdin="mina möten\n2\n1\n")
    assert ref in founder.stdout
    assert "kan inte komma" in founder.stdout  # the substitute (or the cancellation) is waiting for the founder
    assert f"Mötet {ref} är avbokat" in founder.stdout or "inga kommande" in founder.stdout
