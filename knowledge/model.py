"""The knowledge base as plain, validated data: authorities, topics, FAQ entries, synonyms, intents."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

Lang = Literal["sv", "en"]
LANGS: tuple[Lang, ...] = ("sv", "en")

# Ids travel in button payloads (max 64 bytes) and Telegram deep links ([A-Za-z0-9_-], max 64).
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,39}$"
LEAD_MAX = 40  # a lead is a word or two ("Nej.", "Ja, i praktiken."); the answer itself says the rest


def _date_from_text(value: object) -> object:
    # The loader keeps dates as text so a bad one becomes a per-entry problem.
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


ReviewedDate = Annotated[dt.date, BeforeValidator(_date_from_text)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Bilingual(_Strict):
    """The same text in Swedish and English; both are required and non-empty."""

    sv: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.sv


class Lead(Bilingual):
    """The short yes/no opening of an answer ("Ja, i praktiken."), kept apart so it is shown only when it fits."""

    sv: str = Field(min_length=1, max_length=LEAD_MAX)
    en: str = Field(min_length=1, max_length=LEAD_MAX)


class _TextLists(_Strict):
    """A list of non-empty texts per language; subclasses set how many each language needs."""

    sv: list[str]
    en: list[str]

    @field_validator("sv", "en")
    @classmethod
    def _no_empty(cls, value: list[str]) -> list[str]:
        if any(not v.strip() for v in value):
            raise ValueError("empty text")
        return value

    def get(self, lang: str) -> list[str]:
        return self.en if lang == "en" else self.sv


class Alternates(_TextLists):
    sv: list[str] = Field(min_length=3)
    en: list[str] = Field(min_length=1)


class Topic(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    label: Bilingual
    bookable: bool = True  # offered as a meeting topic


class Authority(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: Bilingual
    responsible_for: Bilingual
    in_short: Bilingual | None = None  # one short line for the "vem gör vad?" overview
    # None for `kommun` and `region`: answers show the founder's own municipality's site (bot/answers.py).
    website: str | None = Field(default=None, pattern=r"^https://[^\s]+$")
    topics: list[str] = []
    # Municipality-specific entries point at their generic parent (`kommun`) and say who handles ASF.
    parent: str | None = None
    municipality: str | None = None
    county: str | None = None
    asf_unit: Bilingual | None = None
    source: str | None = None


# Entries about this service itself (its meetings, the data it keeps): whoever runs this installation answers for
# them, whatever authority the entry names (bot.answers.about_service).
SERVICE_TOPICS = frozenset({"dukat-bord", "integritet"})


class FaqEntry(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    question: Bilingual
    alternates: Alternates
    # A short "Ja." / "Yes." shown before the answer only when the user asked a yes/no question.
    lead: Lead | None = None
    answer: Bilingual
    authorities: list[str] = Field(min_length=1)
    topics: list[str] = Field(min_length=1)
    source: str = Field(min_length=1)
    reviewed: ReviewedDate
    retired: bool = False

    def phrasings(self, lang: str) -> list[str]:
        return [self.question.get(lang), *self.alternates.get(lang)]


class GuideQuestions(_TextLists):
    """Questions a founder can bring to a meeting about one guide step, per language."""

    sv: list[str] = Field(min_length=1)
    en: list[str] = Field(min_length=1)


class GuideStep(_Strict):
    """One step of the start guide: what to do, who helps, related FAQ entries, questions for the meeting."""

    id: str = Field(pattern=ID_PATTERN)
    title: Bilingual
    body: Bilingual
    ask: GuideQuestions
    authorities: list[str] = Field(min_length=1)
    faq: list[str] = []
    topics: list[str] = Field(min_length=1)
    source: str = Field(min_length=1)
    reviewed: ReviewedDate


class IntentPatterns(_Strict):
    """Free-text triggers per language for one intent (folded, matched as whole words)."""

    sv: list[str] = []
    en: list[str] = []


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the knowledge files. `code` and `params` are rendered by the catalogue."""

    file: str
    entry: str | None
    field: str | None
    code: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Knowledge:
    """A complete, valid knowledge base. Built only by the loader."""

    authorities: dict[str, Authority]
    topics: dict[str, Topic]
    entries: dict[str, FaqEntry]  # active entries only
    retired: dict[str, FaqEntry]
    synonyms: dict[str, list[str]]  # folded term -> folded expansions
    intents: dict[str, IntentPatterns]
    source_dir: str
    files: dict[str, str] = field(default_factory=dict)  # entry id -> file it lives in
    guide: tuple[GuideStep, ...] = ()  # the start guide's steps, in order

    def guide_step(self, step_id: str) -> GuideStep | None:
        return next((s for s in self.guide if s.id == step_id), None)

    def authority(self, authority_id: str) -> Authority:
        return self.authorities[authority_id]

    def municipalities(self) -> list[Authority]:
        return sorted((a for a in self.authorities.values() if a.municipality), key=lambda a: a.municipality or "")


def fold_phrase(text: str) -> str:
    """Lower-case, drop punctuation and collapse spaces: used to spot the same phrasing twice."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.lower())).strip()
