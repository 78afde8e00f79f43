"""Logs never hold a name, a message text, a token or a raw user id: full conversations on each channel
with every logger captured at DEBUG, then the captured records searched for each of them."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest

from bot.messages import Incoming

from .conftest import Chat

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

NAME = "Zelda Quixotesson"
IDEA = "Zelda Quixotessons vävkafé i Ystad med arbetsträning"
QUESTION = "Hej, jag heter Zelda Quixotesson. Vad är ett ASF egentligen?"
ODD_QUESTION = "Kan min struts Gunnhild Bergkvist få lönebidrag för att räkna moln?"

# Records written by the test's own fake servers (their access logs show request paths), not by the bot.
NOT_THE_BOT = ("aiohttp.access", "tests.")


def everything_logged(caplog) -> str:
    parts = []
    for record in caplog.records:
        if record.name.startswith(NOT_THE_BOT):
            continue
        parts.append(f"{record.name} {record.getMessage()}")
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        if record.exc_text:
            parts.append(record.exc_text)
    return "\n".join(parts)


def assert_clean(logged: str, forbidden: list[str]) -> None:
    found = [f for f in forbidden if f and f.lower() in logged.lower()]
    assert not found, f"logged: {found}\n{logged[:3000]}"


def words_of(*texts: str) -> list[str]:
    """The distinctive words of what people wrote (names, places, odd nouns), and the whole texts."""
    common = {"ett", "vad", "för", "med", "att", "jag", "hej", "asf", "kan", "min", "få", "i"}
    words = {w for t in texts for w in re.findall(r"\w{5,}", t) if w.lower() not in common}
    return [*texts, *sorted(words - {"egentligen", "arbetsträning", "lönebidrag"})]


@pytest.fixture
def debug_logs(caplog):
    caplog.set_level(logging.DEBUG)  # the root logger: every library propagates here unless it is told not to
    return caplog


async def test_a_full_console_conversation_logs_no_text_name_or_address(app, clock, debug_logs):
    address = "console:uid-48151623"
    founder = Chat(app, address, pace=5)
    await founder.say(QUESTION)
    await founder.say(ODD_QUESTION)  # unanswered: goes to the anonymous log, not the process log
    await founder.say("/language")
    await founder.press("lang:en")
    await founder.say("What is a work integrating social enterprise?")
    await founder.press("lang:sv") if "lang:sv" in [b.payload for r in founder.last for b in r.all_buttons()] else None
    await founder.say("/boka")
    await founder.press("bk:ok")
    if not any(b.label.startswith("✓") for r in founder.last for b in r.all_buttons()):
        await founder.press(next(b.payload for r in founder.last for b in r.all_buttons() if b.payload.startswith("bk:tp:")))
    await founder.press("bk:tpd")
    await founder.say(IDEA)
    await founder.say("Ystad")
    times = [b.payload for r in founder.last for b in r.all_buttons() if b.payload.startswith("bk:t:")]
    assert times, founder.text()
    await founder.press(times[0])
    await founder.press("bk:yes")
    ref = re.search(r"\b[A-HJ-NP-Z2-9]{5}\b", founder.text())
    assert ref, founder.text()
    meeting = await app.booking.meeting(ref.group(0))
    snap = await app.booking.snapshot()
    officials = [o for o in snap.officials if o.id in meeting.official_ids]
    for official in officials:
        await app.engine.handle(Incoming(official.address, payload=f"mt:acc:{meeting.ref}"))
    clock.set(meeting.start - timedelta(hours=24)) if hasattr(clock, "set") else clock.advance(
        meeting.start - timedelta(hours=24) - clock.now())
    await app.reminders.run_due()
    await founder.say("/mina_data")
    await founder.say("/glom")
    await founder.press("pv:yes") if "pv:yes" in [b.payload for r in founder.last for b in r.all_buttons()] else None
    await founder.say("x" * 5000)  # refused as too long; the text must not be logged either
    for _ in range(20):  # flooding
        await app.engine.handle(Incoming(address, text=NAME))

    logging.getLogger("bot.canary").debug("canary")
    logged = everything_logged(debug_logs)
    assert "canary" in logged, "the capture does not see DEBUG records"
    forbidden = words_of(QUESTION, ODD_QUESTION, IDEA, NAME, "What is a work integrating social enterprise?")
    forbidden += [address, "48151623", "x" * 50, *(o.address for o in officials), *(o.name for o in officials)]
    assert_clean(logged, forbidden)


async def test_an_engine_failure_is_logged_without_the_message_or_address(app, debug_logs, monkeypatch):
    async def broken(turn, text):
        raise RuntimeError("boom")

    monkeypatch.setitem(app.engine._intents, "fallback", broken)
    monkeypatch.setitem(app.engine._intents, "faq", broken)
    replies = await app.engine.handle(Incoming("console:uid-27182818", text=ODD_QUESTION))
    assert replies[0].text == app.catalogue.text("sv", "core.error")
    logged = everything_logged(debug_logs)
    assert "engine failed" in logged  # the failure itself is logged, with its traceback
    assert_clean(logged, words_of(ODD_QUESTION) + ["27182818"])


# ---------------------------------------------------------------------- Telegram
@pytest.fixture
async def tg_fake():
    from .telegram.fake_botapi import FakeBotApi

    async with FakeBotApi() as server:
        yield server


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_a_full_telegram_conversation_logs_no_text_name_token_or_chat_id(
    tg_fake, settings, clock, knowledge_store, debug_logs
):
    from .telegram.fake_botapi import TOKEN
    from .telegram.harness import BotUnderTest

    bot = await BotUnderTest(tg_fake, settings, clock, knowledge_store).start()
    try:
        user_id = 735091284
        tg_fake.user(user_id, "sv", first_name="Zelda")
        user = bot.user(user_id)
        for text in ("/start", QUESTION, ODD_QUESTION, "bidrag lön"):
            clock.advance(timedelta(seconds=5))
            await user.say(text)
        buttons = [data for _, data in user.last[-1].buttons] if user.last else []
        if buttons:
            clock.advance(timedelta(seconds=5))
            await user.press(buttons[0])
        clock.advance(timedelta(seconds=5))
        await user.say("<b>" + NAME + "</b> & " + IDEA)
        # The renderer escaped what the user typed before it went out as HTML.
        html_reply = next((c for c in tg_fake.sent(user_id) if "Zelda" in (c.params.get("text") or "")), None)
        if html_reply is not None:
            assert "<b>" not in html_reply.params["text"]
        clock.advance(timedelta(seconds=5))
        await user.say("/mina_data")
        clock.advance(timedelta(seconds=5))
        await user.say("/glom")
        if any(d == "pv:yes" for c in user.last for _, d in c.buttons):
            clock.advance(timedelta(seconds=5))
            await user.press("pv:yes")
    finally:
        await bot.stop()

    logging.getLogger("bot.canary").debug("canary")
    logged = everything_logged(debug_logs)
    assert "canary" in logged, "the capture does not see DEBUG records"
    token_id, _, secret = TOKEN.partition(":")
    forbidden = words_of(QUESTION, ODD_QUESTION, IDEA, NAME)
    forbidden += [TOKEN, secret, f"bot{token_id}", str(user_id), f"tg:{user_id}"]
    assert_clean(logged, forbidden)


async def test_unknown_commands_echoed_to_telegram_are_html_escaped(tg_fake, settings, clock, knowledge_store):
    from .telegram.harness import BotUnderTest

    bot = await BotUnderTest(tg_fake, settings, clock, knowledge_store).start()
    try:
        user = bot.user(735091285)
        await user.say("/x<b>y</b>&<script>")
        raw = [c.params.get("text", "") for c in user.last]
        assert any("&lt;b&gt;y&lt;/b&gt;&amp;&lt;script&gt;" in r for r in raw), raw
        assert all(c.params.get("parse_mode", "").upper() == "HTML" for c in user.last)
        assert any("/x<b>y</b>&<script>" in c.visible_text for c in user.last)
    finally:
        await bot.stop()


# ---------------------------------------------------------------------- Matrix (a real Synapse)
from .matrix.conftest import synapse  # noqa: E402,F401  (the session's homeserver, started once)


def test_log_lines_hide_the_configured_secrets_and_those_learnt_at_login(settings):
    import io
    from dataclasses import replace

    from bot.runner import redact_in_logs, setup_logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    out = io.StringIO()
    try:
        setup_logging("INFO", replace(settings, telegram_token="123456:configured-token"), stream=out)
        learnt = "syt_learnt_at_login_0123456789"
        redact_in_logs(learnt)
        redact_in_logs("abc")  # too short to be told from a word: ignored
        log = logging.getLogger("nio.http")
        log.info("GET /sync?access_token=%s", learnt)
        log.info("POST /bot123456:configured-token/getMe abc")
        try:
            raise RuntimeError(f"bad token {learnt}")
        except RuntimeError:
            log.exception("request failed")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    text = out.getvalue()
    assert learnt not in text and "configured-token" not in text
    assert text.count("[redacted]") == 3 and " abc" in text  # the two lines and the exception


async def test_a_full_matrix_conversation_logs_no_text_password_token_or_user_id(
    debug_logs, synapse, settings, clock, knowledge_store, tmp_path  # noqa: F811
):
    from .matrix.clients import MatrixBot, MxUser

    from bot import runner

    bot = await MatrixBot(synapse, settings, clock, knowledge_store).start()
    assert bot.channel.client.access_token in runner._learnt_secrets  # the token its password login got
    founder = await MxUser.create(synapse, tmp_path / "people")
    try:
        room = await founder.open_dm(bot.user_id, encrypted=True)
        for text in (QUESTION, ODD_QUESTION, "bidrag lön", "1", "<b>" + NAME + "</b> & " + IDEA, "/mina_data"):
            answer = await bot.ask(founder, room, text)
            assert answer, text
            for message in answer:  # what the user typed is escaped in the HTML body
                assert "<b>" + NAME not in (message.formatted_body or "")
        await bot.ask(founder, room, "/glom")
    finally:
        await founder.close()
        await bot.stop()

    logging.getLogger("bot.canary").debug("canary")
    logged = everything_logged(debug_logs)
    assert "canary" in logged, "the capture does not see DEBUG records"
    localpart = founder.user_id[1:].split(":", 1)[0]
    forbidden = words_of(QUESTION, ODD_QUESTION, IDEA, NAME)
    forbidden += [founder.user_id, localpart, f"mx:{founder.user_id}", bot.account.password, bot.account.access_token,
                  founder.account.access_token, room]
    assert_clean(logged, forbidden)
