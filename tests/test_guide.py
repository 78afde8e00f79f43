"""The start guide as a founder meets it: walking it, resuming, the checklist, booking with the progress."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from bot.app import build_app
from bot.messages import Incoming
from knowledge import guide as path
from knowledge.loader import load_knowledge
from tests.booking_helpers import officials_told
from tests.conftest import Chat
from tests.test_cli import run

GUIDE = load_knowledge().guide


def titles(lang: str = "sv") -> list[str]:
    return [s.title.get(lang) for s in GUIDE]


async def db_rows(app) -> list[dict]:
    return [dict(r) for r in await app.db.fetchall("SELECT * FROM guide_progress ORDER BY address")]


# --- the content ------------------------------------------------------------------------------


def test_bundled_guide_has_8_to_12_steps_each_with_help_faq_and_questions():
    knowledge = load_knowledge()
    assert 8 <= len(GUIDE) <= 12
    for step in GUIDE:
        assert step.authorities and step.faq and step.ask.sv and step.ask.en
        assert all(a in knowledge.authorities for a in step.authorities)
        assert all(e in knowledge.entries for e in step.faq)
    text = " ".join(s.title.sv + s.body.sv for s in GUIDE)
    for must in ("ASF", "affärsplan", "företagsform", "F-skatt", "Arbetsförmedlingen", "upphandling", "IOP",
                 "SKOOPI", "Coompanion"):
        assert must.lower() in text.lower(), must


# --- the way through, as pure logic -------------------------------------------------------------


def test_marking_moves_to_the_next_open_step_and_wraps_to_skipped_ones_never():
    ids = [s.id for s in GUIDE]
    p = path.begin(GUIDE, path.Progress())
    assert p.current == ids[0]
    p = path.mark(GUIDE, p, ids[0], path.SKIPPED)
    assert p.current == ids[1]
    p = path.back(GUIDE, p, ids[1])
    assert p.current == ids[0]  # back shows a skipped step again
    for step_id in ids[1:]:
        p = path.mark(GUIDE, p, step_id, path.DONE)
    assert p.current is None  # every step done or skipped: finished
    where = path.standing(GUIDE, p)
    assert where.finished and [s.id for s in where.skipped] == [ids[0]] and len(where.done) == len(ids) - 1
    p = path.mark(GUIDE, path.Progress(current=ids[-1]), ids[-1], path.DONE)
    assert p.current == ids[0]  # done with the last one first: back to the first open step
    assert path.back(GUIDE, path.Progress(current=ids[0]), ids[0]).current == ids[0]


def test_steps_no_longer_in_the_guide_are_ignored_and_notes_are_capped():
    p = path.Progress(current="borttaget-steg", statuses={"borttaget-steg": path.DONE})
    assert path.current_step(GUIDE, p) == GUIDE[0]
    assert path.standing(GUIDE, p).done == ()
    for i in range(path.MAX_NOTES + 3):
        p = path.add_note(p, f"fråga {i}" + "x" * 400)
    assert len(p.notes) == path.MAX_NOTES and p.notes[0].startswith("fråga 3")
    assert all(len(n) == path.NOTE_MAX_CHARS for n in p.notes)
    assert path.add_note(p, "   ") == p
    with pytest.raises(KeyError):
        path.mark(GUIDE, p, "finns-inte", path.DONE)


# --- in chat ------------------------------------------------------------------------------------


async def test_walk_in_swedish_with_done_skip_back_and_resume_after_a_restart(settings, clock, knowledge_store):
    app = await build_app(settings, clock=clock, knowledge=knowledge_store)
    chat = Chat(app, pace=5)
    await chat.say("Hur kommer jag igång?")
    assert f"Steg 1 av {len(GUIDE)}: {titles()[0]}" in chat.text()
    assert "Coompanion: https://coompanion.se" in chat.text()  # who helps, with the link
    first_faq = app.knowledge.current.entries[GUIDE[0].faq[0]].question.sv
    assert first_faq in chat.buttons() and "Boka ett Dukat bord-möte" in chat.buttons()
    await chat.press("Klart ✓")
    assert f"Steg 2 av {len(GUIDE)}" in chat.text()
    await chat.press("Hoppa över")
    assert f"Steg 3 av {len(GUIDE)}" in chat.text()
    await chat.press("← Föregående steg")
    assert f"Steg 2 av {len(GUIDE)}" in chat.text() and "hoppade du över" in chat.text()
    await chat.press("Klart ✓")
    await chat.press(app.knowledge.current.entries[GUIDE[2].faq[0]].question.sv)  # an FAQ answer from the step
    assert "Ansvarig:" in chat.text()
    await chat.press("Tillbaka till guiden")
    assert f"Steg 3 av {len(GUIDE)}" in chat.text()
    await app.close()

    app = await build_app(settings, clock=clock, knowledge=knowledge_store)  # the bot restarts
    chat = Chat(app, pace=5)
    await chat.say("var är jag?")
    text = chat.text()
    assert f"2 av {len(GUIDE)} steg klara" in text
    assert f"✓ 1. {titles()[0]}" in text and f"✓ 2. {titles()[1]}" in text and f"→ 3. {titles()[2]}" in text
    await chat.press(f"Fortsätt: {titles()[2]}")
    assert f"Steg 3 av {len(GUIDE)}" in chat.text()
    await chat.say("/guide")
    assert f"Steg 3 av {len(GUIDE)}" in chat.text() and "Startguiden tar dig" not in chat.text()  # no intro again
    await app.close()


async def test_walk_in_english_to_the_end(app):
    chat = Chat(app, "console:en", lang_hint="en", pace=5)
    await chat.say("/guide")
    assert "The start guide takes you" in chat.text()
    for number in range(1, len(GUIDE) + 1):
        assert f"Step {number} of {len(GUIDE)}: {titles('en')[number - 1]}" in chat.text()
        await chat.press("Skip" if number in (4, 7) else "Done ✓")
    assert f"{len(GUIDE) - 2} of {len(GUIDE)} steps done and 2 skipped" in chat.text()
    await chat.press("Where am I?")
    assert f"– 4. {titles('en')[3]} (skipped)" in chat.text() and f"✓ {len(GUIDE)}." in chat.text()
    await chat.press("Get the checklist")
    checklist = chat.last[0].attachments[0]
    assert checklist.filename == "dukat-bord-checklist.md" and checklist.mime_type == "text/markdown"
    body = checklist.content.decode()
    assert f"- [ ] 4. {titles('en')[3]} (skipped)" in body and GUIDE[3].ask.en[0] in body


async def test_where_am_i_before_starting_and_who_does_what(chat):
    await chat.say("var är jag?")
    assert "inte börjat startguiden" in chat.text()
    await chat.press("Öppna startguiden")
    assert "Steg 1 av" in chat.text()
    await chat.say("var är jag?")
    await chat.press("Vem gör vad?")
    assert "Vem gör vad" in chat.text() and "Arbetsförmedlingen" in chat.text()
    await chat.press("Tillbaka till guiden")
    assert "Steg 1 av" in chat.text()


async def test_checklist_has_progress_open_questions_own_questions_and_meetings(app, chat):
    await chat.say("/guide")
    await chat.press("Klart ✓")
    await chat.press("Hoppa över")  # step 2 skipped: its questions belong in the checklist
    await chat.press("Var är jag?")
    await chat.press("Skriv en fråga till mötet")
    await chat.say("Kan vi hyra <b>kommunens</b> lokal *billigt*?")
    assert "Egna frågor till mötet: 1" in chat.text()
    await chat.press("Hämta checklista")
    attachment = chat.last[0].attachments[0]
    assert attachment.filename == "dukat-bord-checklista.md"
    body = attachment.content.decode()
    assert body.startswith("# Min checklista")
    assert "tisdag 10 mars 2026" in body  # made on the (fake) clock's day
    assert f"1 av {len(GUIDE)} steg i startguiden är klara" in body
    assert f"- [x] 1. {titles()[0]}" in body
    assert f"- [ ] 2. {titles()[1]} (överhoppat)" in body
    assert f"- [ ] 3. {titles()[2]} (här är jag nu)" in body
    assert "https://coompanion.se" in body
    for question in GUIDE[1].ask.sv + GUIDE[2].ask.sv:
        assert question in body
    assert GUIDE[3].ask.sv[0] not in body  # only skipped steps and the current one: no wall of questions
    # The founder's own text cannot become markup in the file.
    assert "Kan vi hyra \\<b\\>kommunens\\</b\\> lokal \\*billigt\\*? (min egen fråga)" in body
    assert "Mina bokade" not in body

    service = app.booking
    slots = await service.offer(["asf"], None)
    meeting = await service.book(chat.address, slots[0], ["asf"], None, None)
    await chat.say("/checklista")
    body = chat.last[0].attachments[0].content.decode()
    assert "## Mina bokade Dukat bord-möten" in body and f"referens {meeting.ref}" in body


async def test_own_question_too_long_or_cancelled_changes_nothing(app, chat):
    await chat.say("/guide")
    await chat.press("Var är jag?")
    await chat.press("Skriv en fråga till mötet")
    before = await db_rows(app)
    await chat.say("x" * 301)
    assert "för lång" in chat.text() and await db_rows(app) == before
    await chat.press("Avbryt")
    assert "Steg 1 av" in chat.text()
    await chat.say("Vad är ett ASF?")  # no longer waiting for a note: answered as a question
    assert "Ansvarig:" in chat.text()
    assert json.loads((await db_rows(app))[0]["notes"]) == []


async def test_stale_and_forged_guide_buttons_change_nothing(app, chat):
    await chat.say("/guide")
    before = await db_rows(app)
    for payload in ("gd:done:finns-inte", "gd:skip:", "gd:back:../../etc", "gd:faq:finns-inte", "gd:bogus",
                    "gd:go:extra", "gd:reset-y:x", "gd:done:" + "a" * 40):
        replies = await app.engine.handle(Incoming(chat.address, payload=payload))
        assert "Den knappen gäller inte längre" in replies[0].text, payload
    assert await db_rows(app) == before


async def test_starting_over_asks_first(app, chat):
    await chat.say("/guide")
    await chat.press("Klart ✓")
    await chat.press("Var är jag?")
    await chat.press("Börja om")
    await chat.press("Nej")
    assert "1 av" in chat.text()
    await chat.press("Börja om")
    await chat.press("Ja, börja om")
    assert await db_rows(app) == []
    await chat.press("Öppna startguiden")
    assert "Steg 1 av" in chat.text() and "Startguiden tar dig" in chat.text()


async def test_reload_with_a_changed_guide_keeps_progress_by_step_id(app, chat, knowledge_copy):
    from knowledge.store import KnowledgeStore

    await chat.say("/guide")
    await chat.press("Klart ✓")
    guide_file = knowledge_copy / "guide.yaml"
    text = guide_file.read_text(encoding="utf-8")
    first = text.index("  - id: ")
    second = text.index("  - id: ", first + 1)
    guide_file.write_text(text[:first] + text[second:], encoding="utf-8")  # the first step is removed
    app.knowledge = KnowledgeStore(knowledge_copy)
    await chat.say("var är jag?")
    assert f"0 av {len(GUIDE) - 1} steg klara" in chat.text() and f"→ 1. {titles()[1]}" in chat.text()
    replies = await app.engine.handle(Incoming(chat.address, payload=f"gd:done:{GUIDE[0].id}"))
    assert "Den knappen gäller inte längre" in replies[0].text


# --- booking from a step carries the progress, only with consent --------------------------------


async def topics_done_first_time_book(chat: Chat) -> None:
    """From the topic list: done, no idea, no municipality, the first time offered, confirm."""
    await chat.press("Klar")
    await chat.press("Hoppa över")
    await chat.press("Vet inte än")
    await chat.press(chat.buttons()[0])
    await chat.press("Boka")


async def book_from_step(chat: Chat, share: str | None) -> str:
    await chat.say("/guide")
    await chat.press("Klart ✓")
    await chat.press("Hoppa över")
    await chat.press("Boka ett Dukat bord-möte")
    await chat.press("bk:ok")
    assert any(b.startswith("✓") for b in chat.buttons())  # topics pre-selected from the step
    await topics_done_first_time_book(chat)
    if share is not None:
        assert "hur långt du har kommit i startguiden" in chat.text()
        await chat.press(share)
    text = chat.text()
    assert "Bokat! Referens:" in text
    return re.search(r"Referens: (\w+)", text)[1]


async def test_booking_from_a_step_shares_progress_with_consent(app):
    chat = Chat(app, "console:delar", pace=5)
    ref = await book_from_step(chat, "Ja, visa dem")
    told = await officials_told(app, ref)
    assert len(told) >= 2
    for text in told:
        assert "Var grundaren står i startguiden" in text
        assert f"Klara steg (1 av {len(GUIDE)}): {titles()[0]}" in text
        assert f"Överhoppade steg: {titles()[1]}" in text and f"Är nu vid: {titles()[2]}" in text


async def test_booking_without_consent_shares_nothing(app):
    chat = Chat(app, "console:delar-inte", pace=5)
    ref = await book_from_step(chat, "Nej")
    told = await officials_told(app, ref)
    assert len(told) >= 2
    for text in told:
        assert "startguiden" not in text and titles()[0] not in text


async def test_booking_without_opening_the_guide_is_not_asked_to_share(app):
    chat = Chat(app, "console:ingen-guide", pace=5)
    await chat.say("boka möte")
    await chat.press("bk:ok")
    await chat.press("Vad ett ASF är")
    await topics_done_first_time_book(chat)
    assert "Bokat! Referens:" in chat.text()


# --- personal data ------------------------------------------------------------------------------


async def test_my_data_shows_the_progress_and_forget_erases_it(app, chat):
    await chat.say("/guide")
    await chat.press("Klart ✓")
    await chat.press("Var är jag?")
    await chat.press("Skriv en fråga till mötet")
    await chat.say("Hur hittar vi kunder?")
    await chat.say("/mina_data")
    exported = json.loads(chat.last[0].attachments[0].content)
    assert exported["guide"]["statuses"] == {GUIDE[0].id: "done"}
    assert exported["guide"]["notes"] == ["Hur hittar vi kunder?"]
    await chat.say("/glom")
    await chat.press(chat.buttons()[0])
    assert await db_rows(app) == []


async def test_retention_deletes_old_progress_only(app, clock):
    old, recent = Chat(app, "console:gammal"), Chat(app, "console:ny")
    await old.say("/guide")
    clock.advance(timedelta(days=app.settings.retention_days + 1))
    await recent.say("/guide")
    await app.personal_data.expire(clock.now() - timedelta(days=app.settings.retention_days), clock.now())
    assert [r["address"] for r in await db_rows(app)] == ["console:ny"]


# --- the console, as a newcomer meets it -------------------------------------------------------


def test_console_newcomer_walks_resumes_downloads_the_checklist_and_books_sharing_progress(tmp_path):
    """The issue's "done when": only the console, restarting the chat between steps."""
    first = run(["chat"], tmp_path, stdin="hur kommer jag igång?\nKlart ✓\nHoppa över\n")
    assert first.returncode == 0, first.stderr
    assert f"Steg 3 av {len(GUIDE)}" in first.stdout

    again = run(["chat"], tmp_path, stdin="var är jag?\n")  # a new chat session: the guide remembers
    assert f"→ 3. {titles()[2]}" in again.stdout and f"✓ 1. {titles()[0]}" in again.stdout

    listed = run(["chat"], tmp_path, stdin="/checklista\n")
    saved = re.search(r"(\S+dukat-bord-checklista\.md)", listed.stdout)[1]
    body = open(saved, encoding="utf-8").read()
    assert f"- [x] 1. {titles()[0]}" in body and "(överhoppat)" in body

    # The second time offered: the first can drop below the minimum notice while the test runs (real clock).
    booked = run(["chat"], tmp_path, stdin="/guide\nBoka ett Dukat bord-möte\n1\nKlar\nHoppa över\nVet inte än\n2\nBoka\nJa, visa dem\n")
    assert "Bokat! Referens:" in booked.stdout, booked.stdout[-2000:]
    ref = re.search(r"Referens: (\w+)", booked.stdout)[1]

    meetings = run(["meetings", "list"], tmp_path).stdout
    names = re.search(rf"{ref}\t[^\t]+\t[^\t]+\t([^\t]+)", meetings)[1].split(", ")
    ids = {line.split("\t")[1]: line.split("\t")[0] for line in run(["officials", "list"], tmp_path).stdout.splitlines()}
    official = run(["chat", "--as", f"console:{ids[names[0]]}"], tmp_path, stdin="")
    assert ref in official.stdout
    assert "Var grundaren står i startguiden" in official.stdout
    assert f"Är nu vid: {titles()[2]}" in official.stdout


@pytest.mark.parametrize("lang, question", [("sv", "vem gör vad?"), ("en", "who does what?")])
async def test_who_does_what_is_a_compact_overview_in_the_users_language(app, lang, question):
    chat = Chat(app, f"console:overview-{lang}", lang_hint=lang)
    await chat.say(question)
    text = chat.last[-1].text
    national = [a for a in app.knowledge.current.authorities.values() if a.parent is None]
    for authority in national:
        link = f" ({authority.website})" if authority.website else ""  # kommun, region: no one else's site
        assert f"• {authority.name.get(lang)}: {authority.in_short.get(lang)}{link}" in text
    assert "skr.se" not in text.replace("(https://skr.se)", "", 1)  # SKR's own line only
    assert len(text.splitlines()) <= len(national) + 4 and len(text) < 2600  # one line each: fits one Telegram message
