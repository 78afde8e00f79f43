"""Sign-in to the web console without passwords: one-time links and browser sessions.

A link (`/admin/login/<token>`) is made for a chat address (`dukat-bord coordinators web-login ADDRESS`,
or `/webb` in the chat); it is used once and expires after 15 minutes. Signing in makes a session: a
random id in an HttpOnly, SameSite=Strict cookie, with its own CSRF token; it ends at sign-out or after
a day without use. Only hashes of tokens and session ids are stored, so a copy of the database signs
no one in. What the session may do is not stored: the address's roles are looked up on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

LOGIN_TTL = timedelta(minutes=15)
SESSION_IDLE = timedelta(days=1)
TOUCH_EVERY = timedelta(minutes=1)  # last use is written at most this often

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE web_logins (
            token_hash TEXT PRIMARY KEY,
            address TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT
        );
        CREATE TABLE web_sessions (
            id_hash TEXT PRIMARY KEY,
            address TEXT NOT NULL,
            csrf TEXT NOT NULL,
            created_at TEXT NOT NULL,
            last_seen TEXT NOT NULL
        );
        CREATE INDEX web_sessions_address ON web_sessions(address);
        """,
    ),
]


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class WebSession:
    address: str
    csrf: str
    id_hash: str

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf.encode(), str(token).encode())


class WebLogins:
    """The links and sessions, in the database."""

    def __init__(self, db: Any, clock: Any) -> None:
        self.db = db
        self.clock = clock

    async def create_link_token(self, address: str) -> str:
        now = self.clock.now()
        token = secrets.token_urlsafe(32)
        await self.db.execute(
            "INSERT INTO web_logins(token_hash, address, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (_hash(token), address, now.isoformat(), (now + LOGIN_TTL).isoformat()),
        )
        return token

    async def link_is_valid(self, token: str) -> bool:
        row = await self.db.fetchone("SELECT expires_at, used_at FROM web_logins WHERE token_hash = ?", (_hash(token),))
        return row is not None and row["used_at"] is None and datetime.fromisoformat(row["expires_at"]) > self.clock.now()

    async def redeem(self, token: str) -> tuple[str, str] | None:
        """Use the link once: (session id for the cookie, address), or None for an unknown, used or expired link."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            async with conn.execute("SELECT address, expires_at, used_at FROM web_logins WHERE token_hash = ?",
                                    (_hash(token),)) as cur:
                row = await cur.fetchone()
            if row is None or row["used_at"] is not None or datetime.fromisoformat(row["expires_at"]) <= now:
                return None
            await conn.execute("UPDATE web_logins SET used_at = ? WHERE token_hash = ?", (now.isoformat(), _hash(token)))
            session_id = secrets.token_urlsafe(32)
            await conn.execute(
                "INSERT INTO web_sessions(id_hash, address, csrf, created_at, last_seen) VALUES (?, ?, ?, ?, ?)",
                (_hash(session_id), row["address"], secrets.token_urlsafe(24), now.isoformat(), now.isoformat()),
            )
            # Used and expired links are of no further use.
            await conn.execute("DELETE FROM web_logins WHERE expires_at < ?", ((now - LOGIN_TTL).isoformat(),))
        return session_id, row["address"]

    async def session(self, session_id: str | None) -> WebSession | None:
        """The live session with this id (its last use noted), or None when unknown or idle too long."""
        if not session_id or len(session_id) > 100:
            return None
        now = self.clock.now()
        row = await self.db.fetchone("SELECT address, csrf, last_seen FROM web_sessions WHERE id_hash = ?",
                                     (_hash(session_id),))
        if row is None:
            return None
        last_seen = datetime.fromisoformat(row["last_seen"])
        if now - last_seen >= SESSION_IDLE:
            await self.db.execute("DELETE FROM web_sessions WHERE id_hash = ?", (_hash(session_id),))
            return None
        if now - last_seen >= TOUCH_EVERY:
            await self.db.execute("UPDATE web_sessions SET last_seen = ? WHERE id_hash = ?",
                                  (now.isoformat(), _hash(session_id)))
        return WebSession(row["address"], row["csrf"], _hash(session_id))

    async def end(self, session: WebSession) -> None:
        await self.db.execute("DELETE FROM web_sessions WHERE id_hash = ?", (session.id_hash,))

    async def end_idle(self) -> None:
        cutoff = (self.clock.now() - SESSION_IDLE).isoformat()
        await self.db.execute("DELETE FROM web_sessions WHERE last_seen < ?", (cutoff,))
        await self.db.execute("DELETE FROM web_logins WHERE expires_at < ?", (cutoff,))


class WebLoginPersonalData:
    """Sign-in links and browser sessions of an address: listed in /mina_data, ended by /glom."""

    name = "web_console"

    async def export(self, db: Any, address: str) -> Any:
        rows = await db.fetchall("SELECT created_at, last_seen FROM web_sessions WHERE address = ? ORDER BY created_at",
                                 (address,))
        return {"sessions": [{"created_at": datetime.fromisoformat(r["created_at"]),
                              "last_seen": datetime.fromisoformat(r["last_seen"])} for r in rows]}

    async def erase(self, conn: Any, address: str, now: datetime) -> list:
        await conn.execute("DELETE FROM web_sessions WHERE address = ?", (address,))
        await conn.execute("DELETE FROM web_logins WHERE address = ?", (address,))
        return []

    async def active_since(self, conn: Any, cutoff: datetime) -> set[str]:
        return set()
