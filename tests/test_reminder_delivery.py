"""Reminders are delivered, not lost.

A failed send (the channel raised, or the Notifier had no route for the address yet) is tried again with
backoff until it arrives, exactly once; after MAX_ATTEMPTS sends, or once the meeting has begun, it is given
up with an error in the log and a line in the coordinators' report. A retry never reminds of a cancelled or
moved meeting's old time. `dukat-bord run` sends what is due at start-up through channels that are up, and a
kill in the middle of a send repeats at most that one send. Through the real ReminderService, the real
Notifier and a real SQLite file; only the chat transport is the test's (or the fake Bot API server's).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from booking.reminders import MAX_ATTEMPTS, retry_delay
from bot import runner
from bot.app import build_app
from bot.clock import STOCKHOLM
from bot.reports import build_report, report_text

REPO = Path(__file__).resolve().parents[1]


class Channel:
    """A chat transport as the Notifier sees it; `down` makes every send fail (as a network error would)."""

    def __init__(self, down: bool = False) -> None:
        self.down = down
        self.tries = 0
        self.got: list[tuple[str, str]] = []

    async def deliver(self, address: str, replies) -> None:
        self.tries += 1
        if self.down:
            raise OSError("network unreachable")
        self.got += [(address, r.text) for r in replies]

    def texts(self, address: str, marker: str) -> list[str]:
        return [text for a, text in self.got if a == address and marker in text]


async def book(app, founder: str, after):
    service = app.booking
    slot = (await service.offer(["asf"], None, after=after, limit=1))[0]
    return await service.book(founder, slot, ["asf"], None, None)


async def sent_row(app, meeting, recipient: str, kind: str = "h24"):
    return await app.db.fetchone(
        "SELECT state, attempts, next_try_utc FROM reminders_sent WHERE meeting_id = ? AND recipient = ? AND kind = ?",
        (meeting.id, recipient, kind),
    )


def reminder_texts(app, sent: list[tuple[str, str]], ref: str) -> list[str]:
    """The 24-hour reminders about meeting `ref` among `sent`, in whichever language each recipient reads."""
    openings = tuple(app.catalogue.text(lang, "booking.reminder_h24").split("{ref}")[0] for lang in ("sv", "en"))
    return [text for _, text in sent if text.startswith(openings) and ref in text]


def given_up_errors(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR and "given up" in r.getMessage()]


async def test_a_failed_send_is_retried_after_its_backoff_and_arrives_exactly_once(app, clock):
    reminders = app.reminders
    founder = "tg:501"
    meeting = await book(app, founder, clock.now() + timedelta(days=2))
    clock.set(meeting.start - timedelta(hours=24))

    # Telegram has not registered its route yet: the Notifier says no, which is a failure to retry.
    assert await reminders.run_due() == len(meeting.official_ids)
    row = await sent_row(app, meeting, founder)
    assert (row["state"], row["attempts"]) == ("failed", 1)
    assert row["next_try_utc"] == (clock.now() + retry_delay(1)).isoformat()

    channel = Channel(down=True)
    app.notifier.register("tg", channel.deliver)
    clock.advance(retry_delay(1) - timedelta(seconds=1))
    assert await reminders.run_due() == 0 and channel.tries == 0  # not before the backoff has passed
    clock.advance(seconds=1)
    assert await reminders.run_due() == 0 and channel.tries == 1  # the channel is down: a second failure
    row = await sent_row(app, meeting, founder)
    assert (row["state"], row["attempts"]) == ("failed", 2)

    channel.down = False
    clock.advance(retry_delay(2))
    assert await reminders.run_due() == 1
    assert len(channel.texts(founder, "i morgon")) == 1 and meeting.ref in channel.texts(founder, "i morgon")[0]
    for _ in range(4):
        clock.advance(minutes=30)
        assert await reminders.run_due() == 0
    assert len(channel.texts(founder, "i morgon")) == 1
    row = await sent_row(app, meeting, founder)
    assert (row["state"], row["attempts"]) == ("sent", 3)


async def test_a_retry_never_reminds_of_a_cancelled_or_moved_meetings_old_time(app, clock):
    service, reminders = app.booking, app.reminders
    channel = Channel(down=True)
    app.notifier.register("tg", channel.deliver)
    moved = await book(app, "tg:601", clock.now() + timedelta(days=2))
    cancelled = await book(app, "tg:602", clock.now() + timedelta(days=2))
    clock.set(max(moved.start, cancelled.start) - timedelta(hours=24))
    await reminders.run_due()
    assert channel.tries == 2 and not channel.got  # both founders' reminders failed

    later = (await service.offer(["asf"], None, after=moved.start + timedelta(days=3), limit=1,
                                 ignore_meeting_id=moved.id))[0]
    moved_to = await service.move(moved.ref, "tg:601", later)
    await service.cancel(cancelled.ref, "tg:602")
    channel.down = False
    channel.got.clear()
    for _ in range(MAX_ATTEMPTS):
        clock.advance(retry_delay(MAX_ATTEMPTS))
        await reminders.run_due()
    assert channel.texts("tg:601", "i morgon") == [] and channel.texts("tg:602", "i morgon") == []
    assert (await sent_row(app, moved, "tg:601"))["state"] == "skipped"
    assert (await sent_row(app, cancelled, "tg:602"))["state"] == "skipped"

    clock.set(moved_to.start - timedelta(hours=24))
    await reminders.run_due()
    texts = channel.texts("tg:601", "i morgon")
    assert len(texts) == 1 and moved_to.ref in texts[0]
    day = clock.now().astimezone(STOCKHOLM).date()
    assert (await build_report(app.db, day - timedelta(days=7), day)).undelivered_reminders == 0


async def test_giving_up_after_the_bound_logs_an_error_and_is_counted_in_the_report(app, clock, caplog, settings):
    reminders = app.reminders
    channel = Channel(down=True)
    app.notifier.register("tg", channel.deliver)
    founder = "tg:701"
    meeting = await book(app, founder, clock.now() + timedelta(days=2))
    clock.set(meeting.start - timedelta(hours=24))
    caplog.set_level(logging.WARNING)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        await reminders.run_due()
        row = await sent_row(app, meeting, founder)
        assert row["attempts"] == attempt
        if attempt < MAX_ATTEMPTS:
            assert row["state"] == "failed" and not given_up_errors(caplog)
            clock.advance(retry_delay(attempt))
    assert (await sent_row(app, meeting, founder))["state"] == "given_up"
    assert channel.tries == MAX_ATTEMPTS
    errors = given_up_errors(caplog)
    assert len(errors) == 1 and founder not in errors[0].getMessage() and "h24" in errors[0].getMessage()
    clock.advance(hours=2)
    await reminders.run_due()
    assert channel.tries == MAX_ATTEMPTS  # given up means no more tries

    day = (meeting.start - timedelta(hours=24)).astimezone(STOCKHOLM).date()
    report = await build_report(app.db, day, day)
    assert report.undelivered_reminders == 1
    t = lambda key, **params: app.catalogue.text("sv", key, **params)  # noqa: E731
    assert "Påminnelser som inte kunde levereras: 1" in report_text(report, t)
    # The same line in `dukat-bord report`, a separate process on the same database.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MATRIX_", "DUKAT_"))}
    env.update(DUKAT_DB=settings.db_path, DUKAT_DATA_DIR=settings.data_dir, PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-m", "bot", "report", "--from", day.isoformat(), "--to", day.isoformat()],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Påminnelser som inte kunde levereras: 1" in result.stdout


async def test_a_reminder_still_failing_when_the_meeting_begins_is_given_up_with_an_error(app, clock, caplog):
    reminders = app.reminders
    channel = Channel(down=True)
    app.notifier.register("tg", channel.deliver)
    founder = "tg:702"
    meeting = await book(app, founder, clock.now() + timedelta(days=2))
    clock.set(meeting.start - timedelta(hours=1))
    await reminders.run_due()
    assert (await sent_row(app, meeting, founder, "h1"))["state"] == "failed"
    clock.set(meeting.start + timedelta(minutes=1))
    channel.down = False  # back, but too late: a reminder after the start would be wrong
    await reminders.run_due()
    row = await sent_row(app, meeting, founder, "h1")
    assert (row["state"], row["attempts"]) == ("given_up", 1)
    assert channel.texts(founder, "Om en timme") == []
    assert len(given_up_errors(caplog)) == 1


@pytest.mark.parametrize("change", ["cancel", "erase"])
async def test_a_meeting_cancelled_or_erased_while_reminders_go_out_gets_none_after(app, clock, change):
    """The founder cancels (or erases their data, which deletes the meeting and its sent log) while run_due is
    sending: what run_due read at its start must not send that meeting's reminders afterwards."""
    service, reminders = app.booking, app.reminders
    first = await book(app, "tg:801", clock.now() + timedelta(days=2))
    second = await book(app, "tg:802", clock.now() + timedelta(days=2))
    clock.set(max(first.start, second.start) - timedelta(hours=24))
    sent: list[tuple[str, str]] = []

    async def deliver(address: str, replies) -> None:
        sent.extend((address, r.text) for r in replies)
        if len(sent) == 1:  # in the middle of the run: the founder of the meeting not being reminded acts
            ref = second.ref if first.ref in replies[0].text else first.ref
            founder = "tg:802" if ref == second.ref else "tg:801"
            if change == "cancel":
                await service.cancel(ref, founder)
            else:
                await app.personal_data.erase(founder, clock.now())

    for prefix in ("tg", "console"):
        app.notifier.register(prefix, deliver)
    await reminders.run_due()
    reminded = first if first.ref in sent[0][1] else second
    gone = second if reminded is first else first
    assert reminder_texts(app, sent, gone.ref) == []
    assert len(reminder_texts(app, sent, reminded.ref)) == 1 + len(reminded.official_ids)
    assert all(n == 1 for n in Counter(sent).values())
    clock.advance(minutes=30)
    sent.clear()
    await reminders.run_due()
    assert reminder_texts(app, sent, gone.ref) + reminder_texts(app, sent, reminded.ref) == []  # nothing again


# --- dukat-bord run: background work after the channels ----------------------------------------------------


async def test_run_sends_reminders_already_due_once_the_telegram_channel_is_up(settings, clock, tmp_path):
    from tests.telegram.fake_botapi import TOKEN, FakeBotApi

    # A meeting in the database whose 1-hour reminder came due while the bot was down.
    app = await build_app(settings, clock=clock)
    try:
        meeting = await book(app, "tg:1300", clock.now() + timedelta(days=2))
    finally:
        await app.close()
    clock.set(meeting.start - timedelta(minutes=30))

    async with FakeBotApi() as fake:
        fake.user(1300)
        stop = asyncio.Event()
        running = asyncio.create_task(runner.run(replace(settings, telegram_token=TOKEN, telegram_base_url=fake.base_url),
                                                 stop, clock=clock))
        try:
            await fake.wait_for(lambda: any("Om en timme" in c.visible_text for c in fake.sent(1300)), timeout=60)
        finally:
            stop.set()
            code = await asyncio.wait_for(running, 30)
            gc.unfreeze()  # run() freezes the heap it settled; the test process goes on
    assert code == runner.EXIT_OK
    reminders = [c.visible_text for c in fake.sent(1300) if "Om en timme" in c.visible_text]
    assert len(reminders) == 1 and meeting.ref in reminders[0]
    app = await build_app(settings, clock=clock)
    try:
        row = await sent_row(app, meeting, "tg:1300", "h1")
    finally:
        await app.close()
    assert (row["state"], row["attempts"]) == ("sent", 1)  # the first try, through the channel that was up


class RecordingChannel:
    """A channel that notes, at its start and stop, whether the app's scheduler is running."""

    name = "recording"
    events: list[tuple[str, bool]] = []
    delivered: asyncio.Event | None = None

    def __init__(self, app) -> None:
        self.app = app

    async def start(self) -> None:
        self.events.append(("start", self.app.scheduler.running))
        self.app.notifier.register("tg", self.deliver)

    async def deliver(self, address: str, replies) -> None:
        self.events.append(("deliver", self.app.scheduler.running))
        if self.delivered is not None:
            self.delivered.set()

    async def stop(self) -> None:
        self.events.append(("stop", self.app.scheduler.running))
        self.app.notifier.unregister("tg")


async def test_run_starts_the_one_scheduler_after_the_channels_and_stops_it_before_them(settings, clock, monkeypatch):
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    app = await build_app(settings, clock=clock)
    try:
        meeting = await book(app, "tg:1400", clock.now() + timedelta(days=2))
    finally:
        await app.close()
    clock.set(meeting.start - timedelta(minutes=30))
    started: list[AsyncIOScheduler] = []
    scheduling = asyncio.Event()
    real_start = AsyncIOScheduler.start

    def counting_start(self, *args, **kwargs):
        started.append(self)
        scheduling.set()
        return real_start(self, *args, **kwargs)

    monkeypatch.setattr(AsyncIOScheduler, "start", counting_start)
    monkeypatch.setattr(runner, "CHANNELS", [runner.ChannelSpec("recording", lambda s: True,
                                                                "tests.test_reminder_delivery:RecordingChannel")])
    RecordingChannel.events = []
    RecordingChannel.delivered = asyncio.Event()
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(settings, stop, clock=clock))
    try:
        await asyncio.wait_for(RecordingChannel.delivered.wait(), 60)  # the 1-hour reminder, due at start
        await asyncio.wait_for(scheduling.wait(), 60)
    finally:
        stop.set()
        code = await asyncio.wait_for(running, 30)
        gc.unfreeze()
    assert code == runner.EXIT_OK
    # The catch-up is sent before the scheduler starts, through the channel that is already up.
    assert RecordingChannel.events == [("start", False), ("deliver", False), ("stop", False)]
    assert len(started) == 1  # reminders, retention and the coordinators' jobs share one scheduler


# --- a kill in the middle of a send ------------------------------------------------------------------------


def start_worker(settings, log: Path, now) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "tests.delivery_worker", settings.db_path, settings.data_dir,
                             str(log), now.isoformat()], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def read_until(proc: subprocess.Popen, count: int, word: str, timeout: float = 90) -> None:
    seen = 0
    deadline = time.monotonic() + timeout
    while seen < count:
        if time.monotonic() > deadline or proc.poll() is not None:
            raise AssertionError(f"worker stopped early: {proc.stderr.read() if proc.poll() is not None else ''}")
        if proc.stdout.readline().strip() == word:
            seen += 1


def kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)


@pytest.mark.parametrize("kill_after", [3, 8])
async def test_a_kill_mid_send_repeats_at_most_that_send_after_the_restart(settings, clock, tmp_path, kill_after):
    app = await build_app(settings, clock=clock)
    try:
        meetings = [await book(app, f"tg:{1500 + i}", clock.now() + timedelta(days=2)) for i in range(6)]
        refs = {m.id: m.ref for m in meetings}
    finally:
        await app.close()
    now = min(m.start for m in meetings) - timedelta(minutes=50)  # 1-hour reminders and the officials' digests due

    log = tmp_path / "delivered.jsonl"
    proc = start_worker(settings, log, now)
    try:
        read_until(proc, kill_after, "sent")
        time.sleep(0.005)  # land anywhere in the send that follows
    finally:
        kill(proc)
    conn_app = await build_app(settings, clock=clock)
    try:
        in_flight = await conn_app.db.fetchall(
            "SELECT meeting_id, recipient, kind FROM reminders_sent WHERE state = 'sending'")
    finally:
        await conn_app.close()
    assert len(in_flight) <= 1  # one send at a time: at most one was claimed and not yet marked
    before = len(log.read_text().splitlines())

    proc = start_worker(settings, log, now)
    try:
        read_until(proc, 1, "done")
    finally:
        kill(proc)

    def signature(address: str, text: str) -> tuple[str, str]:
        ref = next((r for r in refs.values() if r in text), None)
        return (address, "digest" if "God morgon" in text or "Good morning" in text else ref or text)

    got = Counter(signature(**json.loads(line)) for line in log.read_text().splitlines())
    app = await build_app(settings, clock=clock)
    try:
        rows = await app.db.fetchall("SELECT meeting_id, recipient, kind, state FROM reminders_sent")
    finally:
        await app.close()
    assert {r["state"] for r in rows} == {"sent"}
    owed = Counter((r["recipient"], "digest" if r["kind"] == "digest" else refs[r["meeting_id"]]) for r in rows)
    assert set(got) == set(owed) and all(n == 1 for n in owed.values())  # every owed send arrived
    repeated = {key for key, n in got.items() if n > 1}
    interrupted = {(r["recipient"], "digest" if r["kind"] == "digest" else refs[r["meeting_id"]]) for r in in_flight}
    assert all(n <= 2 for n in got.values()) and repeated <= interrupted  # only the interrupted send repeats
    assert before < sum(got.values()), "the kill should land part-way"


async def test_a_process_that_reaches_only_console_leaves_telegram_reminders_to_run(app, clock):
    """`dukat-bord chat` has no Telegram route: it neither spends attempts on a tg: reminder nor settles or
    recovers one; `dukat-bord run`, which has the route, sends it."""
    reminders = app.reminders
    tg_founder, console_founder = "tg:701", "console:702"
    tg_meeting = await book(app, tg_founder, clock.now() + timedelta(days=2))
    console_meeting = await book(app, console_founder, clock.now() + timedelta(days=2))
    clock.set(max(tg_meeting.start, console_meeting.start) - timedelta(hours=24))

    reminders.reaches = lambda recipient: recipient.startswith("console:")  # as `dukat-bord chat` sets it
    await reminders.run_due()
    assert await sent_row(app, tg_meeting, tg_founder) is None  # not claimed, no attempt spent
    assert (await sent_row(app, console_meeting, console_founder))["state"] == "sent"
    await app.db.execute(  # another process's claim in flight: not this one's to recover
        "INSERT INTO reminders_sent(meeting_id, recipient, kind, due_utc, state, sent_at) VALUES (?, ?, ?, ?, ?, ?)",
        ("other", "tg:999", "h24", clock.now().isoformat(), "sending", clock.now().isoformat()))
    assert await reminders.recover() == 0
    assert (await app.db.fetchone("SELECT state FROM reminders_sent WHERE recipient = 'tg:999'"))["state"] == "sending"

    reminders.reaches = None  # `dukat-bord run`, with its Telegram channel up
    channel = Channel()
    app.notifier.register("tg", channel.deliver)
    await reminders.run_due()
    assert len(reminder_texts(app, channel.got, tg_meeting.ref)) == 1
    assert (await sent_row(app, tg_meeting, tg_founder))["state"] == "sent"
