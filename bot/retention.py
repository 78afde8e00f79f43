"""Daily deletion of founders' personal data after the retention period (default 90 days)."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from .clock import STOCKHOLM

log = logging.getLogger(__name__)


class RetentionService:
    def __init__(self, personal_data, clock, days: int = 90) -> None:
        self.personal_data = personal_data
        self.clock = clock
        self.days = days
        self._scheduler: AsyncIOScheduler | None = None

    async def run_due(self, now=None) -> int:
        """Erase everyone whose last contact and last meeting are older than the retention period."""
        now = now or self.clock.now()
        erased = await self.personal_data.expire(now - timedelta(days=self.days), now)
        log.info("retention: erased personal data of %d user(s)", len(erased))
        return len(erased)

    async def start(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone=STOCKHOLM)
        self._scheduler.add_job(self.run_due, CronTrigger(hour=3, minute=15, timezone=STOCKHOLM), id="retention",
                                coalesce=True, misfire_grace_time=6 * 3600)
        self._scheduler.start()
        await self.run_due()  # catch up on what expired while the process was down

    async def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
