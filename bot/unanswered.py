"""The unanswered log: questions the bot could not answer, kept for coordinators without any user identity.

Only questions are kept. A button label typed or pasted, a lone number, a yes/no or navigation word, a text
without letters and input refused as hostile (markup, SQL) are the bot's own business, not a gap in the FAQ:
`worth_logging` tells them apart, and the coordinators' list reads through the same filter.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import AbstractSet

from knowledge.reading import WORDS, only_answers_a_step, read_time
from knowledge.text import fold, tokens
from knowledge.understanding import Understanding

from .catalogue import Catalogue

# Markup and script: shown literally by every channel, but never a question.
_MARKUP = re.compile(r"<\s*/?\s*[a-z][a-z0-9]*(\s[^<>]*)?/?\s*>|javascript\s*:|\bon[a-z]+\s*=|\$\{|\{\{", re.IGNORECASE)
# SQL injection as pasted by probes: "1' OR '1'='1", "'; DROP TABLE x;--", "UNION SELECT".
_SQL = re.compile(
    r"""['"]\s*(or|and)\s+['"]?\w+['"]?\s*=\s*['"]?\w*"""
    r"""|;\s*(drop|delete|truncate|insert|update|alter|select)\b"""
    r"""|\bunion\s+(all\s+)?select\b|\bdrop\s+table\b|['"]\s*--|/\*.*\*/""",
    re.IGNORECASE,
)


def looks_hostile(text: str) -> bool:
    """True for markup or script (`<script>`, `onerror=`) and SQL-like probes (`1' OR '1'='1`)."""
    return bool(_MARKUP.search(text) or _SQL.search(text))


def worth_logging(text: str, lang: str = "sv", labels: AbstractSet[str] = frozenset()) -> bool:
    """True when `text` may be a question the FAQ lacks; False for the bot's own business.

    False for: a text without letters ("6", "?!"), a number however said ("nr 2", "den andra"), yes/no,
    navigation and politeness words alone ("ja", "hoppa över", "next", "ok tack"), a text equal after folding
    to one of `labels` (folded button labels and FAQ questions, see `known_labels`), and hostile input.
    `lang` is accepted for symmetry with the other readers; the word lists of both languages apply.
    """
    if not any(ch.isalpha() for ch in text) or looks_hostile(text):
        return False
    words = tokens(text)
    if not words:
        return False
    folded = " ".join(words)
    if folded in labels:
        return False
    if only_answers_a_step(text):  # "ja", "nr 2", "hoppa över": knowledge/reading.py's own words
        return False
    # A day and time alone: a time's button label typed back ("fre 4 dec 10:30") or a wish for a meeting
    return "?" in text or read_time(text, _ANY_DAY, WORDS.time) is None


_ANY_DAY = datetime(2026, 1, 1, tzinfo=timezone.utc)  # whether a text is a day and time does not depend on the day


@lru_cache(maxsize=1)
def catalogue_labels() -> frozenset[str]:
    """Every fixed text of the catalogue (both languages), folded: button labels typed or pasted back."""
    catalogue = Catalogue.load()
    labels = set()
    for lang in ("sv", "en"):
        for key in catalogue.keys(lang):
            if not catalogue.placeholders(lang, key):
                labels.add(fold(catalogue.text(lang, key)))
    labels.discard("")
    return frozenset(labels)


def known_labels(knowledge=None) -> frozenset[str]:
    """Folded texts that are buttons, not questions: the catalogue's fixed texts and, given a Knowledge,
    its FAQ questions (shown as buttons under "menade du") and topic labels."""
    if knowledge is None:
        return catalogue_labels()
    questions = {fold(e.question.get(lang)) for e in knowledge.entries.values() for lang in ("sv", "en")}
    topics = {fold(t.label.get(lang)) for t in knowledge.topics.values() for lang in ("sv", "en")}  # booking's buttons
    return catalogue_labels() | questions | topics


class UnansweredLog:
    """Questions the bot could not answer, for coordinators. Holds no user identity.

    `knowledge` (a KnowledgeStore) lets the log recognise the FAQ's own questions typed back as labels.
    """

    def __init__(self, db, knowledge=None) -> None:
        self.db = db
        self.knowledge = knowledge
        self._labels: tuple[object, frozenset[str]] | None = None  # (the Knowledge they came from, labels)

    def labels(self) -> frozenset[str]:
        """Known labels for the knowledge in use, rebuilt only after a reload."""
        current = getattr(self.knowledge, "current", None)
        if self._labels is None or self._labels[0] is not current:
            self._labels = (current, known_labels(current))
        return self._labels[1]

    async def record(self, text: str, u: Understanding | None, now, lang: str | None = None) -> bool:
        """Keep `text` when it is worth a coordinator's time (see `worth_logging`); True when kept."""
        lang = u.lang if u else (lang or "sv")
        if not worth_logging(text, lang, self.labels()):
            return False
        await self.db.execute(
            "INSERT INTO unanswered(text, lang, best_faq_id, best_score, created_at) VALUES (?, ?, ?, ?, ?)",
            (
                text,
                lang,
                (u.suggestions[0] if u and u.suggestions else None),
                (u.score if u else None),
                now.isoformat(),
            ),
        )
        return True
