"""Shared fixtures: a fresh app on a real SQLite file with a fake clock."""

from __future__ import annotations

import shutil
import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.app import build_app
from bot.clock import FakeClock
from bot.config import Settings
from bot.messages import Incoming, Reply
from knowledge.loader import bundled_dir
from knowledge.store import KnowledgeStore

# A Tuesday morning in Stockholm, far from DST changes and holidays.
START = datetime(2026, 3, 10, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def knowledge_store() -> KnowledgeStore:
    return KnowledgeStore()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # A port of its own for the web server `run` starts, so test runs side by side never share 8080.
    return Settings(db_path=str(tmp_path / "dukat.db"), data_dir=str(tmp_path / "data"), web_port=free_port())


@pytest.fixture
async def app(settings, clock, knowledge_store):
    application = await build_app(settings, clock=clock, knowledge=knowledge_store)
    yield application
    await application.close()


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled knowledge directory."""
    target = tmp_path / "knowledge"
    shutil.copytree(bundled_dir(), target)
    return target


class Chat:
    """Drives the engine as one user: say() text, press() a button by label or payload."""

    def __init__(self, app, address: str = "console:test", lang_hint: str | None = None, pace: float = 0) -> None:
        self.app = app
        self.address = address
        self.lang_hint = lang_hint
        self.pace = pace  # seconds the (fake) clock moves before each message: people take time to type
        self.last: list[Reply] = []

    def _wait(self) -> None:
        if self.pace and hasattr(self.app.clock, "advance"):
            self.app.clock.advance(timedelta(seconds=self.pace))

    async def say(self, text: str) -> list[Reply]:
        self._wait()
        self.last = await self.app.engine.handle(Incoming(self.address, text=text, lang_hint=self.lang_hint))
        return self.last

    async def press(self, label_or_payload: str) -> list[Reply]:
        for reply in reversed(self.last):
            for button in reply.all_buttons():
                if label_or_payload in (button.label, button.payload):
                    self._wait()
                    self.last = await self.app.engine.handle(Incoming(self.address, payload=button.payload))
                    return self.last
        raise AssertionError(f"no button {label_or_payload!r} in {[b.label for r in self.last for b in r.all_buttons()]}")

    def text(self) -> str:
        return "\n".join(r.text for r in self.last)

    def buttons(self) -> list[str]:
        return [b.label for r in self.last for b in r.all_buttons()]


@pytest.fixture
def chat(app) -> Chat:
    return Chat(app)


VAGUE = ("bidrag lön", "stöd", "pengar", "bidrag", "kommunen", "anställa", "stöd pengar", "arbetsträning kommun")


def vague_question(knowledge_store: KnowledgeStore | None = None) -> str:
    """A short question the matcher answers with "menade du" and at least two suggestions (which one depends
    on the FAQ's phrasings, so it is looked up rather than fixed)."""
    from knowledge.understanding import understand

    store = knowledge_store or KnowledgeStore()
    for text in VAGUE:
        u = understand(text, store.current, store.matcher, lang_hint="sv")
        if u.intent == "did_you_mean" and len(u.suggestions) >= 2:
            return text
    raise AssertionError("no vague question gives 'menade du' any more")
