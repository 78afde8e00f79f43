"""Background work and the event loop: one scheduler owned by the app holds every service's jobs; work started
in the background is kept until it ends and its error is logged; reading the knowledge files (a reload, the
YAML an edit button reads) runs off the event loop, so other users keep being served meanwhile."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from datetime import timedelta


import knowledge.store
from knowledge.editing import KnowledgeEditor
from tests.booking_helpers import new_founder
from tests.conftest import Chat

from tests.test_coordinator import CO, capp  # noqa: F401  (capp: the coordinators' app fixture)


class LoopWatch:
    """Tells whether the event loop kept running while a piece of blocking work ran: the work, in whatever
    thread it runs, waits until a coroutine on the loop has ticked after it began (never, when the work
    blocks the loop itself)."""

    def __init__(self) -> None:
        self.ticked = threading.Event()
        self.seen: list[bool] = []
        self._running = True

    async def tick(self) -> None:
        while self._running:
            self.ticked.set()
            await asyncio.sleep(0)

    def wrap(self, work):
        def watched(*args, **kwargs):
            self.ticked.clear()
            self.seen.append(self.ticked.wait(timeout=3))
            return work(*args, **kwargs)

        return watched

    async def __aenter__(self) -> "LoopWatch":
        self._task = asyncio.create_task(self.tick())
        return self

    async def __aexit__(self, *exc) -> None:
        self._running = False
        await self._task


async def test_a_knowledge_reload_runs_off_the_event_loop(capp, knowledge_copy, monkeypatch):
    co = Chat(capp, CO, pace=20)
    watch = LoopWatch()
    monkeypatch.setattr(knowledge.store, "check_knowledge", watch.wrap(knowledge.store.check_knowledge))
    before = capp.knowledge.current
    async with watch:
        await co.say("/faq_ladda")  # a coordinator's reload in chat
        path = knowledge_copy / "faq" / "01_asf_start.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("Vad är ett arbetsintegrerande socialt företag (ASF)?",
                                                                 "Vad är ett ASF, egentligen?"), encoding="utf-8")
        os.utime(path, ns=(1, 1))
        assert await capp.knowledge_watch.check_files() == []  # the file watch (and SIGHUP) reload
    assert "inläst på nytt" in co.text()
    assert watch.seen == [True, True]
    assert capp.knowledge.current is not before
    assert capp.knowledge.current.entries["asf-vad-ar"].question.sv == "Vad är ett ASF, egentligen?"


async def test_an_edit_button_reads_the_yaml_off_the_event_loop(capp, monkeypatch):
    co = Chat(capp, CO, pace=20)
    watch = LoopWatch()
    monkeypatch.setattr(KnowledgeEditor, "version", watch.wrap(KnowledgeEditor.version))
    async with watch:
        await co.say("/faq_visa asf-vad-ar")
        await co.press("co:e:asf-vad-ar")
    assert watch.seen == [True]
    assert "asf-vad-ar" in co.text() and co.buttons()  # the fields to choose from


async def test_two_reloads_at_once_keep_the_one_that_read_the_files_last(capp, knowledge_copy):
    path = knowledge_copy / "faq" / "01_asf_start.yaml"
    good = path.read_text(encoding="utf-8")
    first = asyncio.create_task(capp.knowledge.refresh())
    second = asyncio.create_task(capp.knowledge.refresh())
    assert await asyncio.gather(first, second) == [[], []]
    path.write_text(good.replace("Vad är ett arbetsintegrerande socialt företag (ASF)?", "Vad är ett ASF?"),
                    encoding="utf-8")
    assert await capp.knowledge.refresh() == []
    assert capp.knowledge.current.entries["asf-vad-ar"].question.sv == "Vad är ett ASF?"


async def test_every_service_puts_its_jobs_on_the_apps_one_scheduler(capp):
    await capp.start_background()
    try:
        assert capp.scheduler.running
        ids = set(capp.scheduler.job_ids())
        assert {"reminders:digest", "reminders:sweep", "retention", "coordinator-weekly", "knowledge-watch",
                "calendars-refresh"} <= ids
    finally:
        await capp.stop_background()
    assert not capp.scheduler.running


async def test_a_booking_change_re_derives_the_reminder_jobs_in_a_kept_task(app, clock):
    reminders = app.reminders
    await reminders.start()  # its jobs wait for the scheduler, which is not started here
    service = app.booking
    slot = (await service.offer(["asf"], None, after=clock.now() + timedelta(days=2), limit=1))[0]
    meeting = await service.book(new_founder(), slot, ["asf"], None, None)  # -> reminders.changed()
    await app.scheduler.stop()  # waits for the background work in progress
    assert f"reminders:due:{(meeting.start - timedelta(hours=1)).isoformat()}" in app.scheduler.job_ids()
    await reminders.stop()


async def test_a_failing_background_task_is_logged_when_it_ends(app, caplog):
    async def broken() -> None:
        raise RuntimeError("the database went away")

    task = app.scheduler.spawn(broken(), "re-deriving the reminder times")
    await asyncio.wait([task])
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == ["background work failed: re-deriving the reminder times"]
    assert "the database went away" in str(errors[0].exc_info[1])
