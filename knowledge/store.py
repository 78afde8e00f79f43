"""The knowledge in service: swapped whole on a successful reload, kept as it was on a failed one."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .loader import check_knowledge, load_knowledge
from .matcher import Matcher
from .model import Knowledge, Problem


class KnowledgeStore:
    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = directory
        knowledge = load_knowledge(directory)  # a broken start-up dir raises KnowledgeError
        self._current = (knowledge, Matcher(knowledge))
        self.after_reload: list[Callable[[], None]] = []  # called after each successful swap

    @property
    def current(self) -> Knowledge:
        return self._current[0]

    @property
    def matcher(self) -> Matcher:
        return self._current[1]

    def reload(self) -> list[Problem]:
        """Load the files again; on problems keep serving the previous version and return them."""
        knowledge, problems = check_knowledge(self.directory)
        if problems or knowledge is None:
            return problems
        self._current = (knowledge, Matcher(knowledge))
        for listener in self.after_reload:
            listener()
        return []
