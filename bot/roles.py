"""Who may do what: founder (everyone), official (linked by an invite, declared by the booking package
through a provider) and coordinator (granted on the command line or by a one-time invite code).

Roles stored here live in `user_roles`; provided roles are asked of their provider each time, so an
official who is deactivated loses the role at once. One invite system serves both: a code grants a role,
or, for a role with a linker (the booking package's officials), links the account to the code's subject.
Codes are kept only as a hash.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

from .personal_data import stored_time

FOUNDER = "founder"
OFFICIAL = "official"
COORDINATOR = "coordinator"
ROLES = (FOUNDER, OFFICIAL, COORDINATOR)
GRANTABLE = (OFFICIAL, COORDINATOR)  # officials are also declared by the booking provider
INVITE_TTL = timedelta(days=7)
# No 0/O, 1/I/L: codes are read aloud and typed by hand.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

Provider = Callable[[str], Awaitable[bool]]
# Links `address` to `subject` inside the redeeming transaction: (conn, subject, address).
Linker = Callable[[Any, str, str], Awaitable[None]]
# Whether a subject exists (an official's id) before a code is made for it: (conn, subject).
SubjectCheck = Callable[[Any, str], Awaitable[bool]]
DEPENDS = ["booking"]  # migration 2 moves the booking package's official invites into role_invites

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE user_roles (
            address TEXT NOT NULL,
            role TEXT NOT NULL,
            granted_at TEXT NOT NULL,
            PRIMARY KEY (address, role)
        );
        -- One-time codes that grant a role to the chat account redeeming them; only a hash is kept.
        CREATE TABLE role_invites (
            code_hash TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT
        );
        """,
    ),
    (
        2,
        """
        -- One invite system: officials' codes (booking's `invites`) become role invites with a subject.
        ALTER TABLE role_invites ADD COLUMN subject TEXT;
        INSERT INTO role_invites(code_hash, role, subject, created_at, expires_at, used_at)
            SELECT code_hash, 'official', official_id, created_at, expires_at, used_at FROM invites;
        DROP TABLE invites;
        """,
    ),
]


class UnknownRole(ValueError):
    pass


class UnknownSubject(ValueError):
    """An invite for a linked role names no known subject (no such official)."""


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def valid_address(address: str) -> bool:
    prefix, sep, rest = address.partition(":")
    return bool(sep and prefix and rest.strip()) and not any(c.isspace() for c in address)


@dataclass(frozen=True)
class Redeemed:
    role: str
    subject: str | None = None


class Roles:
    def __init__(self, db: Any, clock: Any) -> None:
        self.db = db
        self.clock = clock
        self._providers: dict[str, list[Provider]] = {}
        self._linkers: dict[str, tuple[SubjectCheck, Linker]] = {}

    def register_linker(self, role: str, exists: SubjectCheck, link: Linker) -> None:
        """Invites for `role` name a subject that must exist; redeeming one links instead of granting."""
        self._linkers[role] = (exists, link)

    def register_provider(self, role: str, provider: Provider) -> None:
        """`provider(address)` says whether the address holds `role` right now (e.g. a linked official)."""
        if role not in ROLES:
            raise UnknownRole(role)
        self._providers.setdefault(role, []).append(provider)

    async def grant(self, address: str, role: str = COORDINATOR) -> bool:
        """Give `address` the role; False when it already had it."""
        if role not in GRANTABLE:
            raise UnknownRole(role)
        changed = await self.db.execute(
            "INSERT OR IGNORE INTO user_roles(address, role, granted_at) VALUES (?, ?, ?)",
            (address, role, self.clock.now().isoformat()),
        )
        return bool(changed)

    async def revoke(self, address: str, role: str = COORDINATOR) -> bool:
        """Take the role away; False when the address did not have it."""
        if role not in GRANTABLE:
            raise UnknownRole(role)
        changed = await self.db.execute("DELETE FROM user_roles WHERE address = ? AND role = ?", (address, role))
        return bool(changed)

    async def roles_of(self, address: str) -> set[str]:
        rows = await self.db.fetchall("SELECT role FROM user_roles WHERE address = ?", (address,))
        roles = {FOUNDER} | {row["role"] for row in rows}
        for role, providers in self._providers.items():
            if role in roles:
                continue
            for provider in providers:
                if await provider(address):
                    roles.add(role)
                    break
        return roles

    async def holders(self, role: str = COORDINATOR) -> list[str]:
        """Addresses holding a stored role (for messages to all coordinators)."""
        rows = await self.db.fetchall("SELECT address FROM user_roles WHERE role = ? ORDER BY address", (role,))
        return [row["address"] for row in rows]

    async def listing(self, role: str = COORDINATOR) -> list[tuple[str, str]]:
        rows = await self.db.fetchall(
            "SELECT address, granted_at FROM user_roles WHERE role = ? ORDER BY address", (role,)
        )
        return [(row["address"], row["granted_at"]) for row in rows]

    async def create_invite(self, role: str = COORDINATOR, subject: str | None = None,
                            ttl: timedelta = INVITE_TTL) -> str:
        """A one-time code; UnknownRole for a role that cannot be granted, UnknownSubject when the role
        links a subject (an official) and `subject` is missing or unknown."""
        if role not in GRANTABLE:
            raise UnknownRole(role)
        code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(10))
        now = self.clock.now()
        async with self.db.transaction() as conn:
            linker = self._linkers.get(role)
            if linker is not None and (subject is None or not await linker[0](conn, subject)):
                raise UnknownSubject(subject or "")
            await conn.execute(
                "INSERT INTO role_invites(code_hash, role, subject, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                (_hash(code), role, subject if linker is not None else None, now.isoformat(), (now + ttl).isoformat()),
            )
        return code

    async def redeem_invite(self, code: str, address: str, role: str) -> Redeemed | None:
        """Redeem a `role` code for `address`: grant the role, or link the address to the code's subject.
        None when the code is unknown, used, expired or for another role."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT role, subject, expires_at, used_at FROM role_invites WHERE code_hash = ?", (_hash(code),)
            ) as cur:
                row = await cur.fetchone()
            if (row is None or row["role"] != role or row["used_at"] is not None
                    or datetime.fromisoformat(row["expires_at"]) <= now):
                return None
            await conn.execute("UPDATE role_invites SET used_at = ? WHERE code_hash = ?", (now.isoformat(), _hash(code)))
            linker = self._linkers.get(role)
            if linker is not None:
                await linker[1](conn, row["subject"], address)
            else:
                await conn.execute(
                    "INSERT OR IGNORE INTO user_roles(address, role, granted_at) VALUES (?, ?, ?)",
                    (address, role, now.isoformat()),
                )
        return Redeemed(role, row["subject"])


class RolesPersonalData:
    """Roles held, and the FAQ edits made, by an address (edits keep their content, lose their author)."""

    name = "roles"

    async def export(self, db: Any, address: str) -> Any:
        rows = await db.fetchall("SELECT role, granted_at FROM user_roles WHERE address = ?", (address,))
        edits = await db.fetchall(
            "SELECT entry_id, field, created_at FROM faq_history WHERE editor = ? ORDER BY id", (address,)
        )
        return {"roles": [{**dict(r), "granted_at": stored_time(r["granted_at"])} for r in rows],
                "faq_edits": [{**dict(r), "created_at": stored_time(r["created_at"])} for r in edits]}

    async def erase(self, conn: Any, address: str, now: datetime) -> list:
        await conn.execute("DELETE FROM user_roles WHERE address = ?", (address,))
        await conn.execute("UPDATE faq_history SET editor = NULL WHERE editor = ?", (address,))
        return []

    async def active_since(self, conn: Any, cutoff: datetime) -> set[str]:
        # Coordinators are staff, not founders: their accounts are not expired by the retention job.
        async with conn.execute("SELECT DISTINCT address FROM user_roles") as cur:
            return {row[0] for row in await cur.fetchall()}
