"""The durable e-mail queue: every mail is a row before it goes out, and a retry loop sends it once.

`MailQueue.enqueue` stores the whole message (built once, so a retry sends the same Message-ID). `run_due(now)`
claims one due row at a time in a write transaction ('sending', with a lease so a process that dies mid-send
hands it back after LEASE), sends it through the transport and settles it:
- delivered: 'sent' (the message body is dropped: it holds the founder's details);
- a temporary failure (connection refused or lost, a 4xx reply): tried again after 1, 2, 4 … 60 minutes
  (`retry_delay`), at most MAX_ATTEMPTS sends, then 'given_up' (an error in the log, counted in the report);
- a permanent failure (a 5xx reply to the recipient or the message): 'undeliverable'; the address is marked
  (`mail_undeliverable`), nothing more is sent to it, and `on_undeliverable(address, reason)` tells the coordinators.
A row is marked 'sent' only after the server accepted it, so a retry never repeats a delivered mail; only a crash
between the server's "250" and the mark can (the same Message-ID, which mail programs recognise).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Protocol

log = logging.getLogger(__name__)

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE mail_queue (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            recipient TEXT NOT NULL,             -- the e-mail address
            message BLOB,                        -- the whole MIME message; NULL once sent or settled (personal data)
            state TEXT NOT NULL DEFAULT 'queued' -- queued | sending | sent | given_up | undeliverable
                CHECK (state IN ('queued', 'sending', 'sent', 'given_up', 'undeliverable')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_try_utc TEXT NOT NULL,          -- queued: when to send; sending: when the claim lapses
            last_error TEXT,                     -- a reply code or an error's class name, never an address or text
            created_at TEXT NOT NULL,
            done_at TEXT
        );
        CREATE INDEX mail_queue_due ON mail_queue(state, next_try_utc);
        -- Addresses a server refused for good (5xx): nothing more is sent to them until the mark is removed.
        CREATE TABLE mail_undeliverable (
            address TEXT PRIMARY KEY COLLATE NOCASE,
            since TEXT NOT NULL,
            reason TEXT NOT NULL
        );
        """,
    ),
]

MAX_ATTEMPTS = 12  # 1+2+4+8+16+32+60*5 minutes: about six and a half hours of trying
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(minutes=60)
LEASE = timedelta(minutes=10)  # a claim older than this was left by a process that stopped mid-send
SWEEP_MINUTES = 1
JOB_ID = "mail:sweep"


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th send failed for a while: 1, 2, 4 … minutes, at most an hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


class TemporaryFailure(Exception):
    """The mail may go through later (no connection, a 4xx reply); `reason` is a code or class name."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PermanentFailure(Exception):
    """The server refused the recipient or the message for good (a 5xx reply)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Transport(Protocol):
    async def send(self, sender: str, recipient: str, message: bytes, key: str) -> None:
        """Deliver or raise TemporaryFailure / PermanentFailure; `key` names the mail (for a file name)."""


async def undeliverable_addresses(db: Any) -> set[str]:
    """The marked addresses, case-folded."""
    return {row["address"].casefold() for row in await db.fetchall("SELECT address FROM mail_undeliverable")}


async def is_undeliverable(db: Any, address: str) -> bool:
    return await db.fetchone("SELECT 1 FROM mail_undeliverable WHERE address = ?", (address,)) is not None


class MailQueue:
    """Queue and send; a background service (`start`/`stop`) with a sweep job on the app's scheduler."""

    def __init__(self, db: Any, clock: Any, transport: Transport, sender: str, scheduler: Any = None,
                 on_undeliverable: Callable[[str, str], Awaitable[None]] | None = None) -> None:
        self.db = db
        self.clock = clock
        self.transport = transport
        self.sender = sender
        self.scheduler = scheduler
        self.on_undeliverable = on_undeliverable
        self._lock = asyncio.Lock()
        self._started = False

    async def enqueue(self, recipient: str, message: bytes) -> int:
        now = self.clock.now().isoformat()
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO mail_queue(recipient, message, next_try_utc, created_at) VALUES (?, ?, ?, ?)",
                (recipient, message, now, now))
            row_id = cur.lastrowid
        self.wake()
        return row_id

    def wake(self) -> None:
        """Send what is due soon, in the background (once started; tests call run_due themselves)."""
        if self._started and self.scheduler is not None:
            self.scheduler.spawn(self.run_due(), "sending e-mail")

    async def run_due(self, now: datetime | None = None) -> int:
        """Send every mail due at `now` (new ones, retries whose time has come, lapsed claims). Returns how many
        were delivered."""
        delivered = 0
        async with self._lock:
            while True:
                now_ = now or self.clock.now()
                claimed = await self._claim(now_)
                if claimed is None:
                    return delivered
                delivered += await self._send(*claimed)

    async def _claim(self, now: datetime) -> tuple[int, str, str, bytes, int] | None:
        """The next due mail, claimed; mails to an address refused meanwhile are settled on the way."""
        stamp = now.isoformat()
        async with self.db.transaction() as conn:
            while True:
                async with conn.execute(
                    "SELECT q.id, q.recipient, q.message, q.attempts, q.created_at, u.address AS refused FROM mail_queue q"
                    " LEFT JOIN mail_undeliverable u ON u.address = q.recipient"
                    " WHERE q.state IN ('queued', 'sending') AND q.next_try_utc <= ? ORDER BY q.next_try_utc, q.id"
                    " LIMIT 1", (stamp,)) as cur:
                    row = await cur.fetchone()
                if row is None:
                    return None
                if row["refused"] is None:
                    break
                await conn.execute("UPDATE mail_queue SET state = 'undeliverable', message = NULL, done_at = ?"
                                   " WHERE id = ?", (stamp, row["id"]))
            attempt = row["attempts"] + 1
            await conn.execute("UPDATE mail_queue SET state = 'sending', attempts = ?, next_try_utc = ? WHERE id = ?",
                               (attempt, (now + LEASE).isoformat(), row["id"]))
        # The mail's key (an .eml file's name): when it was queued, then its number.
        key = f"{datetime.fromisoformat(row['created_at']):%Y%m%d-%H%M%S}-{row['id']:06d}"
        return row["id"], key, row["recipient"], bytes(row["message"]), attempt

    async def _send(self, row_id: int, key: str, recipient: str, message: bytes, attempt: int) -> int:
        try:
            await self.transport.send(self.sender, recipient, message, key=key)
        except PermanentFailure as exc:
            await self._refused(row_id, recipient, exc.reason)
            return 0
        except TemporaryFailure as exc:
            await self._later(row_id, attempt, exc.reason)
            return 0
        except Exception as exc:  # a bug or an unexpected library error: retried like a temporary failure
            log.exception("sending an e-mail failed unexpectedly")
            await self._later(row_id, attempt, type(exc).__name__)
            return 0
        await self.db.execute("UPDATE mail_queue SET state = 'sent', message = NULL, done_at = ?, last_error = NULL"
                              " WHERE id = ?", (self.clock.now().isoformat(), row_id))
        log.info("e-mail %d delivered (attempt %d)", row_id, attempt)
        return 1

    async def _later(self, row_id: int, attempt: int, reason: str) -> None:
        now = self.clock.now()
        if attempt >= MAX_ATTEMPTS:
            await self.db.execute("UPDATE mail_queue SET state = 'given_up', message = NULL, done_at = ?,"
                                  " last_error = ? WHERE id = ?", (now.isoformat(), reason, row_id))
            log.error("e-mail %d could not be delivered after %d attempts (%s); given up", row_id, attempt, reason)
            return
        retry_at = now + retry_delay(attempt)
        await self.db.execute("UPDATE mail_queue SET state = 'queued', next_try_utc = ?, last_error = ? WHERE id = ?",
                              (retry_at.isoformat(), reason, row_id))
        log.warning("e-mail %d not delivered yet (%s, attempt %d of %d); next try at %s", row_id, reason, attempt,
                    MAX_ATTEMPTS, retry_at.isoformat(timespec="seconds"))

    async def _refused(self, row_id: int, recipient: str, reason: str) -> None:
        now = self.clock.now().isoformat()
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE mail_queue SET state = 'undeliverable', message = NULL, done_at = ?,"
                               " last_error = ? WHERE id = ?", (now, reason, row_id))
            await conn.execute("INSERT INTO mail_undeliverable(address, since, reason) VALUES (?, ?, ?)"
                               " ON CONFLICT(address) DO NOTHING", (recipient, now, reason))
        log.error("e-mail %d refused for good (%s); the address is marked undeliverable", row_id, reason)
        if self.on_undeliverable is not None:
            try:
                await self.on_undeliverable(recipient, reason)
            except Exception:
                log.exception("telling the coordinators of an undeliverable address failed")

    async def start(self) -> None:
        """Send what is due (also claims a stopped process left), then sweep every minute."""
        from apscheduler.triggers.interval import IntervalTrigger

        await self.run_due()
        if self.scheduler is not None:
            self.scheduler.add_job(JOB_ID, self.run_due, IntervalTrigger(minutes=SWEEP_MINUTES))
            self._started = True

    async def stop(self) -> None:
        self._started = False
