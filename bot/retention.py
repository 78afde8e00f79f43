"""Daily deletion of founders' personal data after the retention period (default 90 days)."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.triggers.cron import CronTrigger

log = logging.getLogger(__name__)

JOB_ID = "retention"


class RetentionService:
    def __init__(self, personal_data, clock, days: int = 90, scheduler=None) -> None:
        self.personal_data = personal_data
        self.clock = clock
        self.days = days
        self.scheduler = scheduler  # the app's Scheduler (bot/scheduler.py)

    async def run_due(self, now=None) -> int:
        """Erase everyone whose last contact and last meeting are older than the retention period."""
        now = now or self.clock.now()
        erased = await self.personal_data.expire(now - timedelta(days=self.days), now)
        log.info("retention: erased personal data of %d user(s)", len(erased))
        return len(erased)

    async def start(self) -> None:
        """Catch up on what expired while the process was down, then run every night at 03:15."""
        await self.run_due()
        if self.scheduler is not None:
            self.scheduler.add_job(JOB_ID, self.run_due, CronTrigger(hour=3, minute=15, timezone=self.scheduler.tz),
                                   misfire_grace_time=6 * 3600)

    async def stop(self) -> None:
        """Nothing to do: the scheduler, stopped first, drops the job."""
