"""The Telegram channel end to end: python-telegram-bot talks to a fake Bot API server over real HTTP."""

from __future__ import annotations

import asyncio
import html
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import free_port, vague_question

from bot.channels.telegram import html_chunks, keyboard
from bot.messages import Attachment, Button, Reply

from .fake_botapi import TOKEN, FakeBotApi
from .harness import BotUnderTest

REPO = Path(__file__).resolve().parents[2]
# python-telegram-bot's own RetryAfter warns about its coming change to timedelta.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
async def fake():
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def bot(fake, settings, clock, knowledge_store):
    running = await BotUnderTest(fake, settings, clock, knowledge_store).start()
    yield running
    await running.stop()


# ---------------------------------------------------------------- translation
def test_text_is_escaped_and_cut_to_telegrams_limit():
    assert html_chunks("a <b> & c") == ["a &lt;b&gt; &amp; c"]
    assert html_chunks("   ") == []
    long = "\n\n".join(f"Stycke {i}: " + "ord & " * 150 for i in range(8))
    chunks = html_chunks(long, limit=1000)
    assert len(chunks) > 1
    assert all(len(html.unescape(c)) <= 1000 for c in chunks)  # Telegram counts after entity parsing
    assert "".join(html.unescape(c) for c in chunks).replace(" ", "") == long.replace("\n", "").replace(" ", "")


def test_buttons_become_an_inline_keyboard_row_by_row():
    markup = keyboard(Reply("x", buttons=[[Button("Ja", "a:1"), Button("Nej", "a:0")], [Button("Kanske", "a:2")]]))
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [["a:1", "a:0"], ["a:2"]]
    assert keyboard(Reply("x")) is None


# ---------------------------------------------------------------- conversations
async def test_start_registers_commands_in_swedish_and_english_and_greets(bot, fake):
    assert [c["command"] for c in fake.commands[""]] == ["start", "help", "guide", "boka", "mina", "avboka", "sprak", "integritet"]
    assert [c["command"] for c in fake.commands["en"]] == [c["command"] for c in fake.commands[""]]
    assert fake.commands[""][2]["description"] != fake.commands["en"][2]["description"]
    anna = bot.user(1001)
    await anna.say("/start")
    assert all(c.params["parse_mode"] == "HTML" for c in anna.last)
    assert "Välkommen till Dukat bord" in anna.text()
    english = bot.user(1002, language_code="en-GB")
    await english.say("/start")
    assert "Welcome" in english.text()


async def test_a_faq_question_is_answered_with_its_authority(bot):
    anna = bot.user(1010)
    await anna.say("Vad är ett ASF?")
    assert len(anna.last) == 2  # first-contact notice, then the answer
    answer = anna.last[-1].visible_text
    assert "arbetsintegrerande" in answer.lower()
    assert "Ansvarig" in answer or "ansvar" in answer.lower()


async def test_did_you_mean_buttons_answer_or_edit_in_place(bot, fake):
    anna = bot.user(1020)
    vague = vague_question()
    await anna.say("/start")
    await anna.say(vague)
    suggestions = anna.last[-1]
    assert len(suggestions.buttons) >= 2 and all(data.startswith("faq:") for _, data in suggestions.buttons)
    suggestion_id = suggestions.result["message_id"]

    await anna.press(suggestions.buttons[0][1])  # a suggested question: its answer arrives as a new message
    assert anna.last[0].method == "sendMessage" and "Ansvarig:" in anna.text()
    assert fake.calls_to("answerCallbackQuery")

    await anna.say(vague)
    await anna.press("faq:-")  # "none of these" replaces the suggestions instead of piling up messages
    edit = anna.last[0]
    assert edit.method == "editMessageText" and edit.params["message_id"] != suggestion_id
    assert fake.messages[(anna.id, edit.params["message_id"])].get("reply_markup") is None


async def test_language_button_edits_the_pressed_message(bot, fake):
    anna = bot.user(1030)
    await anna.say("/sprak")
    await anna.press("lang:en")
    assert [c.method for c in anna.last] == ["editMessageText"]
    await anna.say("/help")
    assert "How to use" in anna.text() or "Ask a question" in anna.text()


async def test_non_text_messages_get_a_hint_and_group_messages_are_ignored(bot, fake):
    anna = bot.user(1040)
    await anna._turn(fake.send_sticker(anna.id))
    assert "bara läsa text" in anna.text()
    group = fake.send_group_text(anna.id, -5001, "Vad är ett ASF?")
    await bot.wait_handled(group["update_id"])
    assert fake.sent(-5001) == []


async def test_replies_with_attachments_send_documents(bot, fake):
    """The engine's attachments (the booking's .ics) go out with sendDocument as multipart uploads."""
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    await bot.channel.deliver("tg:1050", [Reply("Här är mötet <i kalendern> & mer", attachments=[
        Attachment("dukat-bord.ics", ics, "text/calendar")])])
    text, document = fake.sent(1050)
    assert text.visible_text == "Här är mötet <i kalendern> & mer"
    assert document.method == "sendDocument"
    assert document.files["document"].filename == "dukat-bord.ics"
    assert document.files["document"].content == ics


# ---------------------------------------------------------------- faults
async def test_a_blocked_user_is_marked_undeliverable_and_the_bot_keeps_running(bot, fake):
    anna, bertil, cecilia = bot.user(1060), bot.user(1061), bot.user(1062)
    await anna.say("Hej")
    fake.forbid(anna.id)
    assert await bot.app.notifier.send(anna.address, [Reply("Ditt möte är bokat")]) is False
    assert await bot.app.users.is_undeliverable(anna.address)

    await bertil.say("Hej")
    fake.forbid(bertil.id)
    await bertil.say("Vad är ett ASF?")  # the reply itself gets 403
    assert await bot.app.users.is_undeliverable(bertil.address)

    await cecilia.say("Hej")
    await cecilia._turn(fake.block(cecilia.id))  # Telegram tells us when a user blocks the bot
    assert await bot.app.users.is_undeliverable(cecilia.address)

    david = bot.user(1063)
    await david.say("Vad är ett ASF?")
    assert "arbetsintegrerande" in david.text().lower()


async def test_a_blocked_address_gets_no_more_sends_until_the_user_returns(bot, fake):
    anna, bertil = bot.user(1064), bot.user(1065)
    await anna.say("Hej")
    await bertil.say("Hej")
    await anna._turn(fake.block(anna.id))
    fake.forbid(bertil.id)
    assert await bot.app.notifier.send(bertil.address, [Reply("Påminnelse 1")]) is False  # found out here
    mark = len(fake.calls)
    for address in (anna.address, bertil.address):
        assert await bot.app.notifier.send(address, [Reply("Påminnelse 2")]) is False
    assert fake.calls[mark:] == []  # neither is tried again

    await anna._turn(fake.unblock(anna.id))  # anna restarts the bot
    assert not await bot.app.users.is_undeliverable(anna.address)
    assert await bot.app.notifier.send(anna.address, [Reply("Påminnelse 3")]) is True
    assert fake.sent(anna.id)[-1].visible_text == "Påminnelse 3"

    fake.forbidden.discard(bertil.id)
    await bertil.say("Vad är ett ASF?")  # writing again clears the mark too
    assert not await bot.app.users.is_undeliverable(bertil.address)
    assert await bot.app.notifier.send(bertil.address, [Reply("Påminnelse 4")]) is True


@pytest.mark.parametrize("limiter", ["tests", None], ids=["rate-limiter", "own-handling"])
async def test_retry_after_is_honoured(fake, settings, clock, knowledge_store, limiter):
    running = await BotUnderTest(fake, settings, clock, knowledge_store, rate_limiter=limiter).start()
    try:
        anna = running.user(1070)
        fake.flood(retry_after=1, method="sendMessage", chat_id=anna.id)
        await anna.say("Hej")
        attempts = [c for c in fake.calls_to("sendMessage") if c.chat_id == anna.id]
        assert [c.status for c in attempts][:2] == [429, 200]
        assert attempts[1].at - attempts[0].at >= 1.0  # it waited as long as Telegram asked
        assert anna.text()
    finally:
        await running.stop()


async def test_an_update_delivered_twice_is_handled_once_even_after_a_restart(bot, fake):
    anna = bot.user(1080)
    first = fake.send_text(anna.id, "Vad är ett ASF?")
    await bot.wait_handled(first["update_id"])
    answers = len(fake.sent(anna.id))

    fake.duplicate(first["update_id"])
    await anna.say("Tack")  # updates of one user are handled in order: the duplicate came first
    assert len(fake.sent(anna.id)) == answers + 1

    await bot.restart()
    fake.duplicate(first["update_id"])
    await anna.say("Tack igen")
    assert len(fake.sent(anna.id)) == answers + 2
    assert bot.handled[first["update_id"]].is_set()


async def test_one_slow_user_does_not_hold_up_others_and_each_users_order_is_kept(bot, fake, monkeypatch):
    engine = bot.app.engine
    real_handle = engine.handle
    release = asyncio.Event()
    seen: list[str] = []

    async def handle(incoming):
        seen.append(f"{incoming.address}:{incoming.text}")
        if incoming.text == "långsam":
            await release.wait()
        return await real_handle(incoming)

    monkeypatch.setattr(engine, "handle", handle)
    slow, quick = bot.user(1090), bot.user(1091)
    first = fake.send_text(slow.id, "långsam")
    second = fake.send_text(slow.id, "Hej")
    await quick.say("Hej")  # answered while the slow user's first message is still being worked on
    assert f"{slow.address}:Hej" not in seen
    release.set()
    await bot.wait_handled(second["update_id"])
    assert seen.index(f"{slow.address}:långsam") < seen.index(f"{slow.address}:Hej")
    assert bot.handled[first["update_id"]].is_set()


async def test_an_error_in_one_update_is_logged_without_personal_data_and_the_rest_go_on(bot, fake, monkeypatch, caplog):
    async def broken(incoming):
        raise RuntimeError("boom")

    monkeypatch.setattr(bot.app.engine, "handle", broken)
    anna = bot.user(987654321)
    with caplog.at_level(logging.INFO):
        await anna.say("Mitt namn är Anna Andersson, vad är ett ASF?")
    monkeypatch.undo()
    logged = caplog.text
    assert "RuntimeError" in logged
    assert "Anna Andersson" not in logged and "987654321" not in logged and TOKEN not in logged
    await anna.say("Vad är ett ASF?")
    assert "arbetsintegrerande" in anna.text().lower()


async def test_webhook_mode_checks_the_secret_and_answers(fake, settings, clock, knowledge_store, unused_tcp_port):
    url = f"http://127.0.0.1:{unused_tcp_port}/telegram"
    hooked = replace(settings, telegram_webhook_url=url, telegram_webhook_port=unused_tcp_port,
                     telegram_webhook_secret="s3cret-for-tests")
    running = await BotUnderTest(fake, hooked, clock, knowledge_store).start()
    try:
        assert fake.webhook is not None and fake.webhook.url == url
        assert fake.webhook.secret_token == "s3cret-for-tests"
        forged = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "Hej",
                                              "chat": {"id": 1100, "type": "private"},
                                              "from": {"id": 1100, "is_bot": False, "first_name": "X"}}}
        assert await fake.post_to_webhook(forged, secret="wrong") == 403
        anna = running.user(1101)
        await anna.say("Vad är ett ASF?")
        assert "arbetsintegrerande" in anna.text().lower()
        assert fake.sent(1100) == []
    finally:
        await running.stop()


# ---------------------------------------------------------------- the process
def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MATRIX_", "DUKAT_"))}
    env.update(DUKAT_DB=str(tmp_path / "run.db"), DUKAT_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(REPO),
               DUKAT_WEB_PORT=str(free_port()), **extra)  # `run` serves its web pages there
    return env


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_run_answers_links_an_official_and_exits_0_on_a_signal(fake, tmp_path, stop_signal):
    env = _env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=fake.base_url,
               TELEGRAM_BOT_USERNAME="@dukat_bord_test_bot")
    code = None
    if stop_signal == signal.SIGTERM:  # `dukat-bord officials invite` prints a code and the deep link
        invite = subprocess.run([sys.executable, "-m", "bot", "officials", "invite", "demo-cecilia"], cwd=REPO,
                                env=env, capture_output=True, text=True, timeout=60)
        assert invite.returncode == 0, invite.stderr
        code = invite.stdout.split()[0]
        assert f"https://t.me/dukat_bord_test_bot?start=inv_{code}" in invite.stdout
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--log-level", "DEBUG", cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await fake.wait_for(lambda: fake.calls_to("getUpdates"), timeout=30)
        fake.user(1200)
        fake.send_text(1200, "Vad är ett ASF?")
        await fake.wait_for(lambda: len(fake.sent(1200)) >= 2, timeout=30)
        assert "arbetsintegrerande" in fake.sent(1200)[-1].visible_text.lower()
        if code is not None:
            fake.user(1201)
            fake.send_text(1201, f"/start inv_{code}")
            await fake.wait_for(lambda: any("Cecilia Demorådgivare" in c.visible_text for c in fake.sent(1201)),
                                timeout=30)
        started = time.monotonic()
        process.send_signal(stop_signal)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 10)
        assert process.returncode == 0, stderr.decode()
        assert time.monotonic() - started < 10
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = stderr.decode()
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    assert "Vad är ett ASF" not in log


def test_run_without_a_channel_says_how_to_configure_one(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=REPO, env=_env(tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "dukat-bord chat" in result.stderr


async def test_run_with_a_rejected_token_exits_1_without_showing_it(fake, tmp_path):
    wrong = "1111111:WrongTokenThatMustNotBeShown"
    env = _env(tmp_path, TELEGRAM_BOT_TOKEN=wrong, TELEGRAM_BASE_URL=fake.base_url)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    assert "TELEGRAM_BOT_TOKEN" in stderr.decode()
    assert "WrongTokenThatMustNotBeShown" not in stderr.decode() + stdout.decode()
