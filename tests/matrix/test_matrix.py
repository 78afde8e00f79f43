"""The Matrix channel against a real Synapse: a founder (matrix-nio, own crypto store) talks to the bot."""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import signal
import sys
import uuid
from pathlib import Path

from icalendar import Calendar

from bot.channels.matrix import choose, render
from bot.messages import Button, Incoming, Reply
from tests.conftest import free_port, vague_question


# ---------------------------------------------------------------------- pure translation
def test_options_are_numbered_across_replies_and_all_text_is_escaped():
    replies = [Reply("Menade du <b>?", buttons=[[Button("Vad är ett ASF?", "faq:a"), Button("Nej & ingen", "faq:-")]]),
               Reply("Mer", buttons=[[Button("Boka", "bk:start")]])]
    contents, options = render(replies)
    assert contents[0]["msgtype"] == "m.notice"
    assert contents[0]["body"] == "Menade du <b>?\n\n1. Vad är ett ASF?\n2. Nej & ingen"
    assert "&lt;b&gt;" in contents[0]["formatted_body"] and "<li>Nej &amp; ingen</li>" in contents[0]["formatted_body"]
    assert contents[1]["body"].endswith("3. Boka") and '<ol start="3">' in contents[1]["formatted_body"]
    assert options == [("Vad är ett ASF?", "faq:a"), ("Nej & ingen", "faq:-"), ("Boka", "bk:start")]


def test_an_answer_picks_an_option_by_number_or_exact_text():
    options = [("Ja, boka", "bk:ok"), ("✓ Företagsform", "bk:t:foretag"), ("Avbryt", "bk:no")]
    assert choose("1", options) == "bk:ok"
    assert choose(" 3. ", options) == "bk:no"
    assert choose("ja,  BOKA", options) == "bk:ok"
    assert choose("Företagsform", options) == "bk:t:foretag"
    assert choose("4", options) is None and choose("0", options) is None
    assert choose("ja boka tack", options) is None


# ---------------------------------------------------------------------- against Synapse
async def test_invited_bot_joins_and_answers_a_faq_question_as_a_notice(bot, founder):
    room = await founder.open_dm(bot.user_id)
    answer = await bot.ask(founder, room, "Vad är ett ASF?")
    text = "\n".join(m.body for m in answer)
    assert all(m.msgtype == "m.notice" and m.sender == bot.user_id for m in answer)
    assert "arbetsintegrerande" in text.lower()
    last = answer[-1]
    assert last.content["format"] == "org.matrix.custom.html"
    assert html.unescape(last.formatted_body.replace("<br>", "\n")).startswith(last.body.split("\n\n")[0][:20])


async def test_did_you_mean_options_are_answered_by_number_or_by_their_text(bot, founder):
    room = await founder.open_dm(bot.user_id)
    address = f"mx:{founder.user_id}"
    vague = vague_question()
    suggestions = await bot.ask(founder, room, vague)
    options = await bot.channel.store.options(address)
    assert len(options) >= 2 and all(payload.startswith("faq:") for _, payload in options)
    assert f"\n1. {options[0][0]}\n2. {options[1][0]}" in suggestions[-1].body
    assert "<ol><li>" in suggestions[-1].formatted_body

    answer = await bot.ask(founder, room, "1")
    text = "\n".join(m.body for m in answer)
    assert "Ansvarig:" in text and "Menade du" not in text

    await bot.ask(founder, room, vague)
    label, payload = (await bot.channel.store.options(address))[1]
    by_text = await bot.ask(founder, room, label.upper())
    expected = await bot.app.engine.handle(Incoming("console:compare", payload=payload))
    assert by_text[0].body.split("\n")[0] == expected[-1].text.split("\n")[0]


async def test_encrypted_direct_chat_is_decrypted_and_answered_encrypted(bot, founder):
    room = await founder.open_dm(bot.user_id, encrypted=True)
    answer = await bot.ask(founder, room, "Vad är ett ASF?")
    assert "arbetsintegrerande" in "\n".join(m.body for m in answer).lower()
    # Each answer reached the founder as ciphertext that its own keys decrypted.
    assert founder.client.rooms[room].encrypted
    assert all(m.event.decrypted and m.event.verified is not None for m in answer)


async def test_in_a_group_room_only_messages_addressed_to_the_bot_are_answered(bot, founder, people):
    friend = await people()
    room = await founder.open_group([bot.user_id, friend.user_id])
    before = bot.channel.answered
    quiet = [await founder.send(room, text) for text in (  # talking to the friend, not the bot
        "Vad är ett ASF?", "Ska vi boka ett Dukat bord-möte nästa vecka?", "Jag frågade dukat bord i går, vad är ett ASF?")]
    answer = await bot.ask(founder, room, "Vad är ett ASF?", mention=(bot.user_id, "Dukat bord"))
    assert "arbetsintegrerande" in "\n".join(m.body for m in answer).lower()
    assert bot.channel.answered == before + 1 and not any(q in bot.channel._replies for q in quiet)
    named = await bot.ask(founder, room, "dukat bord, vad är ett ASF?")
    assert "arbetsintegrerande" in "\n".join(m.body for m in named).lower()
    assert await bot.channel.store.room_of(f"mx:{founder.user_id}") is None  # a group is no direct chat


async def test_a_restart_neither_replays_nor_misses_messages(bot, founder):
    room = await founder.open_dm(bot.user_id, encrypted=True)
    first = await founder.send(room, "Vad är ett ASF?")
    await founder.wait_events(await bot.channel.wait_answered(first))
    await bot.stop()
    seen = len(founder.order)
    while_down = await founder.send(room, "Vad är Coompanion?")
    await bot.start()
    sent = await bot.channel.wait_answered(while_down)
    answer = await founder.wait_events(sent)
    assert "coompanion" in "\n".join(m.body for m in answer).lower()
    assert first not in bot.channel._replies and bot.channel.replayed == 0  # resumed after the old message
    again = await bot.ask(founder, room, "Vad är ett ASF?")  # keys survived: still talking encrypted
    assert all(m.event.decrypted for m in again)
    answered_after_restart = [e for e in founder.order[seen:] if e not in {m.event_id for m in answer + again}]
    assert answered_after_restart == []


async def test_without_the_saved_token_old_messages_are_still_not_answered_twice(bot, founder):
    room = await founder.open_dm(bot.user_id)
    credentials = bot.channel.store_dir / "credentials.json"
    older = json.loads(credentials.read_text())["next_batch"]
    first = await founder.send(room, "Vad är ett ASF?")
    await founder.wait_events(await bot.channel.wait_answered(first))
    await bot.stop()
    # A crash after answering but before the sync token was written: the next run sees the event again.
    data = json.loads(credentials.read_text())
    assert data["next_batch"] != older
    data["next_batch"] = older
    credentials.write_text(json.dumps(data))
    seen = len(founder.order)
    await bot.start()
    answer = await bot.ask(founder, room, "Vad är Coompanion?")
    assert bot.channel.replayed >= 1
    assert founder.order[seen:] == [m.event_id for m in answer]


async def test_a_revoked_saved_login_falls_back_to_the_password(bot, founder):
    from aiohttp import ClientSession

    old_device = bot.channel.client.device_id
    token = json.loads((bot.channel.store_dir / "credentials.json").read_text())["access_token"]
    await bot.stop()
    async with ClientSession() as http:  # logged out elsewhere (or by an admin): the saved token is dead
        async with http.post(f"{bot.hs.url}/_matrix/client/v3/logout",
                             headers={"Authorization": f"Bearer {token}"}, json={}) as response:
            assert response.status == 200
    await bot.start()
    assert bot.channel.client.device_id != old_device
    saved = json.loads((bot.channel.store_dir / "credentials.json").read_text())
    assert saved["access_token"] != token and saved["device_id"] == bot.channel.client.device_id
    room = await founder.open_dm(bot.user_id, encrypted=True)  # the new device's keys were uploaded
    answer = await bot.ask(founder, room, "Vad är ett ASF?")
    assert "arbetsintegrerande" in "\n".join(m.body for m in answer).lower()
    assert all(m.event.decrypted for m in answer)


async def test_invitations_and_messages_from_while_the_bot_was_down(bot, founder):
    await bot.stop()
    response = await founder.client.room_create(is_direct=True, invite=[bot.user_id])
    room = response.room_id
    early = await founder.send(room, "Vad är ett ASF?")  # before the bot has joined: not answered
    seen = len(founder.order)
    await bot.start()
    await founder.wait_joined(room, bot.user_id)
    answer = await bot.ask(founder, room, "Vad är Coompanion?")
    assert "coompanion" in "\n".join(m.body for m in answer).lower()
    assert early not in bot.channel._replies and founder.order[seen:] == [m.event_id for m in answer]


async def test_a_failure_on_one_message_does_not_stop_the_channel(bot, founder, monkeypatch, caplog):
    room = await founder.open_dm(bot.user_id)
    original = bot.app.engine.handle
    calls = []

    async def broken_once(incoming, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return await original(incoming, **kwargs)

    monkeypatch.setattr(bot.app.engine, "handle", broken_once)
    await founder.send(room, "Vad är ett ASF?")
    answer = await bot.ask(founder, room, "Vad är Coompanion?")
    assert "coompanion" in "\n".join(m.body for m in answer).lower()
    assert "handling an event failed" in caplog.text and "Vad är" not in caplog.text


async def test_a_notification_opens_an_encrypted_direct_chat_when_there_is_none(bot, people):
    official = await people()
    address = f"mx:{official.user_id}"
    ok = await bot.app.notifier.send(address, [Reply("Ny bokning", buttons=[[Button("Ja, jag kommer", "mt:acc:ABCDE")]])])
    assert ok
    message = await official.wait_for(lambda m: m.body.startswith("Ny bokning"))
    assert message.body == "Ny bokning\n\n1. Ja, jag kommer" and message.event.decrypted
    assert await bot.channel.store.room_of(address) == message.room_id
    assert await bot.channel.store.options(address) == [("Ja, jag kommer", "mt:acc:ABCDE")]


def _options(messages) -> list[str]:
    return [line.split(". ", 1)[1] for m in messages for line in m.body.split("\n") if re.match(r"^\d+\. ", line)]


async def test_booking_by_numbered_options_ends_with_the_ics_file_and_a_linked_official_accepts(bot, people):
    service = bot.app.booking
    founder, official = await people(), await people()
    # The official that the founder's first time will go to links their Matrix account with an invite code.
    slot = (await service.offer(["foretagsform"], "Botkyrka"))[0]
    chosen = slot.officials[0]
    code = await bot.app.roles.create_invite("official", subject=chosen.id)
    official_room = await official.open_dm(bot.user_id, encrypted=True)
    linked = await bot.ask(official, official_room, f"/start inv_{code}")
    assert chosen.name in linked[-1].body
    assert (await service.snapshot()).official(chosen.id).address == f"mx:{official.user_id}"

    room = await founder.open_dm(bot.user_id, encrypted=True)
    consent = await bot.ask(founder, room, "/boka")
    assert "Ja, det är okej" in _options(consent)
    topics = await bot.ask(founder, room, str(_options(consent).index("Ja, det är okej") + 1))
    topics = await bot.ask(founder, room, "Företagsform")  # an option chosen by its text
    assert "✓ Företagsform" in _options(topics)
    idea = await bot.ask(founder, room, "Klar")
    assert "Hoppa över" in _options(idea)
    municipality = await bot.ask(founder, room, "Hoppa över")
    assert "kommun" in "\n".join(m.body for m in municipality)
    times = await bot.ask(founder, room, "botkyrka")
    assert "Fler tider" in _options(times)
    confirm = await bot.ask(founder, room, "1")
    assert "Stämmer det här?" in "\n".join(m.body for m in confirm)
    booked = await bot.ask(founder, room, "Boka")
    text = "\n".join(m.body for m in booked)
    ref = re.search(r"Referens: (\w+)", text)[1]
    ics = [m for m in booked if m.msgtype == "m.file"]
    assert len(ics) == 1 and ics[0].body.endswith(".ics") and "file" in ics[0].content  # encrypted attachment
    calendar = Calendar.from_ical(await founder.download(ics[0]))
    assert calendar["METHOD"] == "REQUEST"

    meeting = await service.meeting(ref)
    assert chosen.id in meeting.official_ids
    invitation = await official.wait_for(lambda m: ref in m.body and "Ja, jag kommer" in m.body)
    assert invitation.room_id == official_room
    number = _options([invitation]).index("Ja, jag kommer") + 1
    thanks = await bot.ask(official, official_room, str(number))
    assert "Tack!" in thanks[0].body and ref in thanks[0].body
    participants = await bot.app.db.fetchall(
        "SELECT official_id, state FROM participants WHERE meeting_id = ?", (meeting.id,))
    assert {r["official_id"]: r["state"] for r in participants}[chosen.id] == "accepted"


# ---------------------------------------------------------------------- the process
REPO = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MATRIX_", "DUKAT_"))}
    env.update(DUKAT_DB=str(tmp_path / "run.db"), DUKAT_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(REPO),
               DUKAT_WEB_PORT=str(free_port()), **extra)  # `run` serves its web pages there
    return env


async def test_run_answers_on_matrix_and_exits_0_on_sigterm(synapse, founder, tmp_path):
    account = synapse.register(f"runbot{uuid.uuid4().hex[:6]}", displayname="Dukat bord")
    env = _env(tmp_path, MATRIX_HOMESERVER=synapse.url, MATRIX_USER_ID=account.user_id,
               MATRIX_PASSWORD=account.password, MATRIX_STORE_DIR=str(tmp_path / "mxstore"))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--log-level", "DEBUG", cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        room = await founder.open_dm(account.user_id, encrypted=True)  # joined once the process has synced
        seen = len(founder.order)
        await founder.send(room, "Vad är ett ASF?")
        answer = await founder.wait_for(lambda m: "arbetsintegrerande" in m.body.lower(), after=seen, timeout=30)
        assert answer.msgtype == "m.notice" and answer.event.decrypted
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 10)
        assert process.returncode == 0, stderr.decode()[-2000:]
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = stderr.decode() + stdout.decode()
    credentials = (tmp_path / "mxstore" / "credentials.json")
    token = json.loads(credentials.read_text())["access_token"]
    assert oct(credentials.stat().st_mode & 0o777) == "0o600"
    assert account.password not in log and token not in log
    assert "Vad är ett ASF" not in log and founder.user_id not in log and account.user_id not in log


async def test_run_with_a_wrong_password_exits_1_and_says_so_without_the_password(synapse, tmp_path):
    account = synapse.register(f"runbot{uuid.uuid4().hex[:6]}")
    wrong = "WrongPasswordThatMustNotBeShown"
    env = _env(tmp_path, MATRIX_HOMESERVER=synapse.url, MATRIX_USER_ID=account.user_id, MATRIX_PASSWORD=wrong)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    assert "MATRIX_PASSWORD" in stderr.decode()
    assert wrong not in stderr.decode() + stdout.decode()
