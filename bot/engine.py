"""The dialogue engine: one Incoming in, a list of Replies out, whatever the channel.

Features contribute small handler tables (commands, payloads, intents, flow steps, deep links);
the engine loads the user and their conversation state, dispatches, and saves the state.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional

from knowledge.understanding import Understanding, understand

from .messages import Incoming, Reply
from .ratelimit import RateLimiter

if TYPE_CHECKING:
    from .app import App

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 1000
Handler = Callable[["Turn", str], Awaitable[Optional[list[Reply]]]]

# Control characters, bidi overrides/isolates and zero-width characters are stripped from input.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def clean_text(text: str) -> str:
    text = _INVISIBLE.sub("", text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class Session:
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    stored: bool = field(default=False, compare=False)  # a row for it exists in the database

    def start(self, flow: str, step: str, **data: Any) -> None:
        self.flow, self.step, self.data = flow, step, dict(data)

    def clear(self) -> None:
        self.flow, self.step, self.data = None, None, {}


@dataclass
class User:
    address: str
    lang: str
    lang_explicit: bool
    role: str
    recent_topics: list[str]
    is_new: bool = False

    def remember_topics(self, topics: list[str]) -> None:
        """What the user just looked at goes last (pre-selected when booking); the ten most recent are kept."""
        self.recent_topics = ([t for t in self.recent_topics if t not in topics] + list(topics))[-10:]


@dataclass
class Turn:
    incoming: Incoming
    user: User
    session: Session
    now: datetime
    app: "App"
    understanding: Understanding | None = None
    erased: bool = False  # set when the user's data was erased during this turn: save nothing

    @property
    def address(self) -> str:
        return self.user.address

    @property
    def lang(self) -> str:
        return self.user.lang

    def t(self, key: str, **params: object) -> str:
        return self.app.catalogue.text(self.user.lang, key, **params)


class Feature:
    """Base for engine features: fill the tables in __init__."""

    name = "feature"

    def __init__(self, app: "App") -> None:
        self.app = app
        self.commands: dict[str, Handler] = {}
        self.payloads: dict[str, Handler] = {}
        self.intents: dict[str, Handler] = {}
        self.steps: dict[str, Handler] = {}
        self.deep_links: dict[str, Handler] = {}
        # "/command" or payload prefix -> the role needed to use it (checked by the engine before dispatch)
        self.required_roles: dict[str, str] = {}


class Engine:
    def __init__(self, app: "App") -> None:
        self.app = app
        self.features: list[Feature] = []
        self._commands: dict[str, Handler] = {}
        self._payloads: dict[str, Handler] = {}
        self._intents: dict[str, Handler] = {}
        self._steps: dict[str, Handler] = {}
        self._deep_links: dict[str, Handler] = {}
        self._required_roles: dict[str, str] = {}
        self._user_locks: dict[str, asyncio.Lock] = {}
        self.rate_limiter = RateLimiter()

    def add_feature(self, feature: Feature) -> None:
        for table, own in (
            (self._commands, feature.commands),
            (self._payloads, feature.payloads),
            (self._intents, feature.intents),
            (self._steps, feature.steps),
            (self._deep_links, feature.deep_links),
        ):
            clash = set(table) & set(own)
            if clash:
                raise ValueError(f"{feature.name} redefines {sorted(clash)}")
            table.update(own)
        self._required_roles.update(getattr(feature, "required_roles", {}))
        self.features.append(feature)

    def commands(self) -> list[str]:
        return sorted(self._commands)

    def can_book(self) -> bool:
        return self.handles("bk")

    def handles(self, payload_prefix: str) -> bool:
        return payload_prefix in self._payloads

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Answer one message or button press. Never raises for anything a user can send."""
        lock = self._user_locks.setdefault(incoming.address, asyncio.Lock())
        async with lock:
            try:
                return await self._handle(incoming)
            except Exception:
                log.exception("engine failed on a %s message", incoming.channel)
                lang = await self._lang_of(incoming.address)
                return [Reply(self.app.catalogue.text(lang, "core.error"))]
            finally:
                if not lock.locked() and not lock._waiters:  # type: ignore[attr-defined]
                    self._user_locks.pop(incoming.address, None)

    async def _handle(self, incoming: Incoming) -> list[Reply]:
        users = self.app.users
        now = self.app.clock.now()
        verdict = self.rate_limiter.check(incoming.address, now)
        if verdict != "ok":
            if verdict == "drop":
                return []
            lang = await self._lang_of(incoming.address)
            return [Reply(self.app.catalogue.text(lang, "core.slow_down"))]
        user = await users.get_or_create(incoming.address, incoming.lang_hint, now)
        session = await users.load_session(incoming.address)
        turn = Turn(incoming, user, session, now, self.app)
        replies = await self._dispatch(turn)
        if turn.erased:
            return replies
        await users.save(turn.user, turn.session, now)
        if user.is_new:
            replies.insert(0, Reply(turn.t("core.first_contact")))
        return replies

    async def _dispatch(self, turn: Turn) -> list[Reply]:
        incoming = turn.incoming
        if incoming.payload is not None:
            prefix, _, rest = incoming.payload.partition(":")
            handler = self._payloads.get(prefix)
            if handler is None:
                return [Reply(turn.t("core.unknown_button"))]
            refusal = await self._refusal(turn, prefix)
            if refusal:
                return refusal
            return await handler(turn, rest) or [Reply(turn.t("core.unknown_button"))]

        raw = incoming.text or ""
        if len(raw) > MAX_MESSAGE_CHARS * 4:
            return [Reply(turn.t("core.too_long", max=MAX_MESSAGE_CHARS))]
        text = clean_text(raw)
        if len(text) > MAX_MESSAGE_CHARS:
            return [Reply(turn.t("core.too_long", max=MAX_MESSAGE_CHARS))]
        if not text:
            return [Reply(turn.t("core.empty"))]

        if text.startswith(("/", "!")) and len(text) > 1:
            return await self._command(turn, text[1:])

        step_key = f"{turn.session.flow}.{turn.session.step}"
        if turn.session.flow and step_key in self._steps:
            replies = await self._steps[step_key](turn, text)
            if replies is not None:
                return replies

        knowledge = self.app.knowledge
        u = understand(text, knowledge.current, knowledge.matcher, lang_hint=turn.user.lang)
        turn.understanding = u
        if not turn.user.lang_explicit and u.lang != turn.user.lang and _long_enough(text):
            turn.user.lang = u.lang
        handler = self._intents.get(u.intent) or self._intents["fallback"]
        return await handler(turn, text) or []

    async def _command(self, turn: Turn, body: str) -> list[Reply]:
        name, _, args = body.partition(" ")
        name = name.split("@", 1)[0].lower()  # Telegram groups send /cmd@botname
        args = args.strip()
        if name == "start" and args:
            for prefix, handler in self._deep_links.items():
                if args.startswith(prefix):
                    return await handler(turn, args) or []
        handler = self._commands.get("/" + name)
        if handler is None:
            return [Reply(turn.t("core.unknown_command", command="/" + name))]
        refusal = await self._refusal(turn, "/" + name)
        if refusal:
            return refusal
        return await handler(turn, args) or []

    async def _refusal(self, turn: Turn, key: str) -> list[Reply] | None:
        """A polite refusal when `key` (command or payload prefix) needs a role the user does not have."""
        role = self._required_roles.get(key)
        roles = getattr(self.app, "roles", None)
        if role is None or (roles is not None and role in await roles.roles_of(turn.address)):
            return None
        specific = f"roles.refused_{role}"
        return [Reply(turn.t(specific if self.app.catalogue.has(specific) else "roles.refused"))]

    async def _lang_of(self, address: str) -> str:
        try:
            return await self.app.users.lang_of(address) or self.app.settings.default_lang
        except Exception:
            return self.app.settings.default_lang


def _long_enough(text: str) -> bool:
    """Only switch the remembered language on messages with a few words in them."""
    return len(text.split()) >= 3


_SAVE_USER = ("UPDATE users SET lang = ?, lang_explicit = ?, role = ?, recent_topics = ?, last_seen = ?,"
              " undeliverable = 0 WHERE address = ?")


def _user_row(user: User, now: datetime) -> tuple:
    return (user.lang, int(user.lang_explicit), user.role, json.dumps(user.recent_topics[-10:]), now.isoformat(),
            user.address)


class UserStore:
    """Users and their conversation state (tables owned by the bot package)."""

    def __init__(self, db: Any, default_lang: str) -> None:
        self.db = db
        self.default_lang = default_lang

    async def get_or_create(self, address: str, lang_hint: str | None, now: datetime) -> User:
        row = await self.db.fetchone(
            "SELECT lang, lang_explicit, role, recent_topics FROM users WHERE address = ?", (address,)
        )
        if row is not None:
            return User(address, row["lang"], bool(row["lang_explicit"]), row["role"], json.loads(row["recent_topics"]))
        lang = lang_hint[:2].lower() if lang_hint and lang_hint[:2].lower() in ("sv", "en") else self.default_lang
        stamp = now.isoformat()
        await self.db.execute(
            "INSERT OR IGNORE INTO users(address, lang, created_at, last_seen) VALUES (?, ?, ?, ?)",
            (address, lang, stamp, stamp),
        )
        return User(address, lang, False, "founder", [], is_new=True)

    async def load_session(self, address: str) -> Session:
        row = await self.db.fetchone("SELECT flow, step, data FROM sessions WHERE address = ?", (address,))
        if row is None:
            return Session()
        return Session(row["flow"], row["step"], json.loads(row["data"]), stored=True)

    async def save(self, user: User, session: Session, now: datetime) -> None:
        if session.flow is None and not session.stored:  # most messages: one statement, no transaction
            await self.db.execute(_SAVE_USER, _user_row(user, now))
            return
        async with self.db.transaction() as conn:
            await conn.execute(_SAVE_USER, _user_row(user, now))
            if session.flow is None:
                await conn.execute("DELETE FROM sessions WHERE address = ?", (user.address,))
            else:
                await conn.execute(
                    "INSERT INTO sessions(address, flow, step, data, updated_at) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT(address) DO UPDATE SET flow = excluded.flow, step = excluded.step,"
                    " data = excluded.data, updated_at = excluded.updated_at",
                    (user.address, session.flow, session.step, json.dumps(session.data), now.isoformat()),
                )

    async def lang_of(self, address: str) -> str | None:
        row = await self.db.fetchone("SELECT lang FROM users WHERE address = ?", (address,))
        return row["lang"] if row else None

    async def mark_undeliverable(self, address: str, undeliverable: bool = True) -> None:
        await self.db.execute("UPDATE users SET undeliverable = ? WHERE address = ?", (int(undeliverable), address))

    async def is_undeliverable(self, address: str) -> bool:
        row = await self.db.fetchone("SELECT undeliverable FROM users WHERE address = ?", (address,))
        return bool(row and row["undeliverable"])
