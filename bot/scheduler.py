"""The app's one scheduler and its background tasks.

`Scheduler` wraps one APScheduler 3.x `AsyncIOScheduler` in the app's time zone. Services add their
jobs to it (`add_job`); `dukat-bord run` starts it after the channels are up and stops it before they
go down, so background work never sends through a channel that is not there. Work started outside a
job (`spawn`) is kept until it ends and its error is logged, never dropped by the garbage collector.
Jobs only decide *when* a service's `run_due(now)` is called; what is due is worked out there, on the
app's clock, so tests call `run_due` with a fake clock and need no scheduler.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any, Awaitable, Callable
from zoneinfo import ZoneInfo

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from .clock import STOCKHOLM

log = logging.getLogger(__name__)

STOP_WAIT = 4.0  # seconds a job or task in progress gets to finish at stop before it is cancelled


class Scheduler:
    def __init__(self, tz: ZoneInfo = STOCKHOLM) -> None:
        self.tz = tz
        # coalesce: a job late several times runs once; misfires still run (what is due is decided by run_due).
        self._aps = AsyncIOScheduler(timezone=tz, job_defaults={"coalesce": True, "max_instances": 1,
                                                                "misfire_grace_time": None})
        self._tasks: set[asyncio.Task[Any]] = set()
        self.running = False  # between start() and stop(): jobs run

    def add_job(self, job_id: str, work: Callable[[], Awaitable[Any]], trigger: Any, **options: Any) -> None:
        """Add or replace the job `job_id`: `work()` is awaited at the times `trigger` gives; an error is logged.
        Jobs added before `start()` wait for it."""
        self._aps.add_job(self._run, trigger, args=(job_id, work), id=job_id, name=job_id, replace_existing=True,
                          **options)

    def remove_job(self, job_id: str) -> None:
        with suppress(JobLookupError):
            self._aps.remove_job(job_id)

    def job_ids(self, prefix: str = "") -> list[str]:
        return sorted(job.id for job in self._aps.get_jobs() if job.id.startswith(prefix))

    def spawn(self, work: Awaitable[Any], what: str) -> asyncio.Task[Any]:
        """Run `work` in the background, keeping a reference until it ends; its error is logged with `what`."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._finished(t, what))
        return task

    def _finished(self, task: asyncio.Task[Any], what: str) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background work failed: %s", what, exc_info=task.exception())

    async def _run(self, job_id: str, work: Callable[[], Awaitable[Any]]) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await work()
        except Exception:
            log.exception("scheduled job %s failed", job_id)
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def start(self) -> None:
        if not self._aps.running:
            self._aps.start()
        self.running = True

    async def stop(self) -> None:
        """No new job starts; what is running gets STOP_WAIT seconds to finish, then is cancelled."""
        self.running = False
        if self._aps.running:
            self._aps.pause()
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=STOP_WAIT)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=1.0)
        if self._aps.running:
            self._aps.shutdown(wait=False)
            await asyncio.sleep(0)  # APScheduler shuts down on the loop's next turn
