"""The knowledge in service: swapped whole on a successful reload, kept as it was on a failed one."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Callable

from .loader import check_knowledge, load_knowledge
from .matcher import Matcher
from .model import Knowledge, Problem

Loaded = tuple[int, Knowledge | None, Matcher | None, list[Problem]]


class KnowledgeStore:
    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = directory
        knowledge = load_knowledge(directory)  # a broken start-up dir raises KnowledgeError
        self._current = (knowledge, Matcher(knowledge))
        self.after_reload: list[Callable[[], None]] = []  # called after each successful swap
        self._loading = threading.Lock()
        self._loads = 0  # loads begun, in order
        self._swapped = 0  # the newest load in service

    @property
    def current(self) -> Knowledge:
        return self._current[0]

    @property
    def matcher(self) -> Matcher:
        return self._current[1]

    def reload(self) -> list[Problem]:
        """Load the files again; on problems keep serving the previous version and return them."""
        return self._swap(self._load())

    async def refresh(self) -> list[Problem]:
        """`reload()` for the event loop: reading, checking and indexing the files (about half a second with the
        bundled FAQ) run in a worker thread, so every other user keeps being served meanwhile; the swap runs on
        the loop. Of two reloads at once, the one that read the files last is the one kept."""
        return self._swap(await asyncio.to_thread(self._load))

    def _load(self) -> Loaded:
        with self._loading:  # one at a time, so the later load has read the newer files
            self._loads += 1
            knowledge, problems = check_knowledge(self.directory)
            if problems or knowledge is None:
                return self._loads, None, None, problems
            return self._loads, knowledge, Matcher(knowledge), []

    def _swap(self, loaded: Loaded) -> list[Problem]:
        number, knowledge, matcher, problems = loaded
        if knowledge is None or matcher is None:
            return problems
        if number > self._swapped:
            self._current, self._swapped = (knowledge, matcher), number
            for listener in self.after_reload:
                listener()
        return []
