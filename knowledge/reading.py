"""Reading a typed reply at a step that shows options: which option, yes/no or navigation, a day and time.

`read_reply` is pure: the text, the options the step showed, the time now, whether the step takes a time.
Its words come from data/replies.yaml, read once when this module is imported.
Priority when several readings fit: an option's number, an option's exact text, a yes/no/navigation word
that an option carries, a part of one option's text (typos allowed), a yes/no/navigation word that no
option carries, a day and time, nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz
from ruamel.yaml import YAML

from .text import PhraseFinder, fold_word, stopwords, tokens

REPLIES_FILE = Path(__file__).parent / "data" / "replies.yaml"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
MEANINGS = ("yes", "no", "next", "back", "skip", "done", "cancel", "restart", "more")
# A reply to options is short; a longer text is a question or a paste, read by the matcher instead.
MAX_REPLY_CHARS = 200
MAX_LABEL_WORDS = 8
# rapidfuzz ratios (0-100) on folded text.
WHOLE_LABEL = 85  # the reply is the whole label with a typo or two ("foretagsfrom")
SAME_WORD = 80  # one word of a label with a typo or an ending ("lokalerna", "radgivnig")
PREFIX_WORD = 85  # a word cut short ("anstallning" for "anstallningsstod"): two thirds of it at least
TIE = 10  # two options this close are equally good: ask which one
LAST_OPTION = -1


@dataclass(frozen=True)
class Option:
    """One option a step showed, as the engine keeps it in the conversation state."""

    label: str  # as shown, e.g. "✓ Företagsform", "Ja, fortsätt", "tis 8 dec 10:00"
    payload: str  # e.g. "bk:ok"
    meaning: str = ""  # "" or MEANINGS separated by spaces ("skip next": typing either word picks it)

    def __post_init__(self) -> None:
        if any(m not in MEANINGS for m in self.meaning.split()):
            raise ValueError(f"unknown option meaning {self.meaning!r}")


@dataclass(frozen=True)
class TimeWish:
    """A day and/or time the founder asked for, in Europe/Stockholm."""

    start: datetime  # the earliest acceptable start
    end: datetime  # the latest acceptable start (== start for an exact time)
    exact: bool  # a clock time was given


@dataclass(frozen=True)
class Reading:
    """What a typed reply says about the options shown.

    kind "option": `payload` is the chosen option's, `meaning` that option's meaning, or the one its
    label says on its own ("Klart ✓" is done), or None.
    kind "meaning": `meaning` is one of MEANINGS; `payload` is the option carrying it, or None.
    kind "time": `when` is set. kind "none": nothing fits; `candidates` holds the payloads of the
    options the reply fits equally well, if any (the engine can offer just those).
    """

    kind: str  # "option" | "meaning" | "time" | "none"
    payload: str | None = None
    meaning: str | None = None
    when: TimeWish | None = None
    candidates: tuple[str, ...] = ()


NOTHING = Reading("none")


# --- the words, from data/replies.yaml ------------------------------------------------------------------


def _phrases(entries: Iterable) -> list[tuple[str, ...]]:
    return [p for p in (tuple(tokens(str(e))) for e in entries or ()) if p]


def _words(entries: Iterable) -> frozenset[str]:
    return frozenset(w for p in _phrases(entries) for w in p)


def _langs(entry) -> list:
    """A list, or lists per language ({sv: [...], en: [...]}), as one list."""
    if isinstance(entry, dict):
        return [x for values in entry.values() for x in values or ()]
    return list(entry or ())


_REPEATED = re.compile(r"(.)\1+")


def _single_letters(word: str) -> str:
    """"jaaa" -> "ja", "tillbaka" -> "tilbaka": the word as if no letter were ever typed twice in a row."""
    return _REPEATED.sub(r"\1", word)


def _clock(text: str) -> time:
    hours, minutes = str(text).split(":")
    return time(int(hours), int(minutes))


class ReplyWords:
    """The vocabulary of replies, folded: meanings, numbers, politeness and the words of days and times."""

    def __init__(self, data: dict) -> None:
        meanings = data.get("meanings") or {}
        unknown = set(meanings) - set(MEANINGS)
        if unknown:
            raise ValueError(f"replies.yaml: unknown meanings {sorted(unknown)}")
        self.politeness = _words(_langs(data.get("politeness")))
        phrases = [(m, p) for m in MEANINGS for p in _phrases(_langs(meanings.get(m)))]
        phrases += [("", p) for p in _phrases(_langs(data.get("politeness")))]
        # "kan jag hoppa över det här?": a navigation word asked for is that word ("kan jag det?" alone means nothing).
        phrases += [("", p) for p in _phrases(_langs(data.get("asking_around")))]
        self.meanings = PhraseFinder([(m, "sv", " ".join(p)) for m, p in phrases])
        # The same phrases with doubled letters made single, for "jaaa", "nejj", "okk".
        self.drawn_out = PhraseFinder([(m, "sv", " ".join(map(_single_letters, p))) for m, p in phrases])
        numbers = data.get("numbers") or {}
        self.number_words = {w: int(n) for n, ws in (numbers.get("words") or {}).items() for w in _words(ws)}
        self.number_words.update({w: LAST_OPTION for w in _words(numbers.get("last"))})
        self.before_number = _words(numbers.get("before")) | self.politeness
        self.after_number = _words(numbers.get("after")) | self.politeness
        self.choosing = _words(data.get("choosing")) | self.politeness
        self.joining = _words(data.get("joining"))
        self.everything = frozenset(_phrases(data.get("everything")))
        # Words that never make a reply mean an option on their own ("och", "the").
        self.function = self.choosing | stopwords()["sv"] | stopwords()["en"]
        self.time = TimeWords(data.get("time") or {}, numbers.get("words") or {})


class TimeWords:
    """The words of days and times (the `time` section of replies.yaml), folded."""

    def __init__(self, data: dict, number_words: dict | None = None) -> None:
        items: list[tuple[str, tuple]] = []  # (phrase, what it stands for), earlier entries win

        def add(entries: Iterable, *item) -> None:
            items.extend((" ".join(p), item) for p in _phrases(entries))

        for days, ws in (data.get("days") or {}).items():
            add(ws, "day", int(days))
        add(data.get("next_week"), "next_week")
        self.parts: dict[str, tuple[time, time]] = {}
        for name, part in (data.get("parts") or {}).items():
            self.parts[name] = (_clock(part["from"]), _clock(part["to"]))
            add(part.get("words"), "part", name)
        for weekday, ws in (data.get("weekdays") or {}).items():
            add(ws, "weekday", int(weekday))
        for month, ws in (data.get("months") or {}).items():
            add(ws, "month", int(month))
        for clock, ws in (data.get("named") or {}).items():
            add(ws, "named", _clock(clock))
        add(data.get("clock"), "at")
        for kind in ("next", "half", "after", "before", "day_of_month", "hour_suffix"):
            add(data.get(kind), kind)
        add(data.get("filler"), "filler")
        # After the fillers, so "en tisdag" is not one o'clock; "halv tio", "den första december".
        for number, ws in (number_words or {}).items():
            add(ws, "num", int(number), False, False)
        self.meaning: dict[str, tuple] = {}
        for phrase, item in items:
            self.meaning.setdefault(phrase, item)
        for phrase, expansion in (data.get("shorthand") or {}).items():
            key = " ".join(tokens(str(phrase)))
            self.meaning[key] = ("shorthand", tuple(self.meaning[" ".join(p)] for p in _split_known(
                tuple(tokens(str(expansion))), self.meaning)))
        self.finder = PhraseFinder([(phrase, "sv", phrase) for phrase in self.meaning])
        self.am = _words(data.get("am"))
        self.pm = _words(data.get("pm"))
        self.afternoon_hours = frozenset(int(h) for h in data.get("afternoon_hours") or ())
        self.pm_parts = frozenset(n for n, (start, _) in self.parts.items() if start >= time(12))


def _split_known(words: tuple[str, ...], known: dict[str, tuple]) -> list[tuple[str, ...]]:
    """Split a shorthand's expansion ("idag kvall") into known phrases, longest first."""
    result, i = [], 0
    while i < len(words):
        for size in range(len(words) - i, 0, -1):
            if " ".join(words[i : i + size]) in known:
                result.append(words[i : i + size])
                i += size
                break
        else:
            raise ValueError(f"replies.yaml: shorthand word {words[i]!r} is not a day or time word")
    return result


def load_reply_words(path: Path = REPLIES_FILE) -> ReplyWords:
    """The reply vocabulary from a YAML file (the bundled one by default)."""
    return ReplyWords(YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {})


WORDS = load_reply_words()


# --- reading ----------------------------------------------------------------------------------------


def read_reply(text: str, options: Sequence[Option], now: datetime, accepts_time: bool = False,
               words: ReplyWords = WORDS) -> Reading:
    """Read a typed reply against the options a step showed (see the module docstring for the order).

    `now` must be aware; days and times are read in Europe/Stockholm. Never raises for any text.
    """
    if now.tzinfo is None:
        raise ValueError("read_reply needs an aware now")
    folded = tokens(text) if len(text) <= MAX_REPLY_CHARS else []
    if not folded:
        return NOTHING
    number = _number(folded, words)
    if number == LAST_OPTION and options:
        return _chosen(options[-1], words)
    if number is not None and 1 <= number <= len(options):
        return _chosen(options[number - 1], words)
    # The same option shown twice (a step asked again under an answer that showed it) is one option, not a choice.
    distinct: dict[str, Option] = {}
    for option in options:
        distinct.setdefault(option.payload, option)
    options = list(distinct.values())
    labels = [tuple(tokens(o.label)) for o in options]
    core = _strip(folded, words.politeness)
    exact = [o for o, label in zip(options, labels) if label and label in (tuple(folded), core)]
    if len(exact) == 1:
        return _chosen(exact[0], words)
    if len(exact) > 1:
        return Reading("none", candidates=tuple(o.payload for o in exact))
    meanings = _meanings(folded, words)
    carriers = [o for o in options if _meanings_of(o, words) & meanings]
    if len(carriers) == 1:  # "ja", or "nej, avbryt" where only Avbryt is offered
        return Reading("meaning", carriers[0].payload, min(_meanings_of(carriers[0], words) & meanings))
    meaning = next(iter(meanings)) if len(meanings) == 1 else None
    # A question ("vad är ett ASF?") is asked, not an option typed loosely ("Vad ett ASF är"), unless the
    # options are questions themselves (the guide's FAQ buttons).
    loose = len(folded) <= MAX_LABEL_WORDS and ("?" not in text or any("?" in o.label for o in options))
    fits = _label_fits(folded, labels, words) if loose else []
    if len(fits) == 1:
        return _chosen(options[fits[0]], words)
    if meaning:
        return Reading("meaning", None, meaning, candidates=tuple(o.payload for o in carriers))
    if accepts_time:
        when = read_time(text, now, words.time)
        if when is not None:
            return Reading("time", when=when)
    return Reading("none", candidates=tuple(options[i].payload for i in fits))


def _chosen(option: Option, words: ReplyWords) -> Reading:
    return Reading("option", option.payload, _meaning_of(option, words))


def _strip(words: Sequence[str], ignorable: frozenset[str]) -> tuple[str, ...]:
    """The words without ignorable ones at either end ("ja tack" -> "ja")."""
    start, end = 0, len(words)
    while start < end and words[start] in ignorable:
        start += 1
    while end > start and words[end - 1] in ignorable:
        end -= 1
    return tuple(words[start:end])


_NUMBER = re.compile(r"(\d{1,3})(?:st|nd|rd|th|e|a)?")


def _number(folded: Sequence[str], words: ReplyWords) -> int | None:
    """The option number a reply names ("2", "nr 2", "den andra", "the second one"), LAST_OPTION for
    "sista", or None. The number must be the only thing said, apart from words like "nr" and "tack"."""
    for i, word in enumerate(folded):
        digits = _NUMBER.fullmatch(word)
        value = int(digits.group(1)) if digits else words.number_words.get(word)
        if value is None:
            continue
        if all(w in words.before_number for w in folded[:i]) and all(w in words.after_number for w in folded[i + 1 :]):
            return value
    return None


def _meanings(folded: Sequence[str], words: ReplyWords) -> set[str]:
    """The yes/no/navigation meanings of a reply made only of such words and politeness, else none."""
    return _tiling(folded, words.meanings) or _tiling([_single_letters(w) for w in folded], words.drawn_out)


def option_number(text: str, words: ReplyWords = WORDS) -> int | None:
    """The option number a reply names alone ("3", "nr 3", "den tredje"), whatever options there are."""
    folded = tokens(text) if len(text) <= MAX_REPLY_CHARS else []
    number = _number(folded, words) if folded else None
    return None if number == LAST_OPTION else number


def only_answers_a_step(text: str, words: ReplyWords = WORDS) -> bool:
    """Whether a text says nothing but what answers a step: a number however said ("2", "nr 2", "den andra")
    or yes/no, navigation and politeness words alone ("ja tack", "hoppa över", "next"); never a question."""
    folded = tokens(text)
    if not folded or len(folded) > MAX_LABEL_WORDS:
        return False
    if _number(folded, words) is not None:
        return True
    return (_tiles(folded, words.meanings) is not None
            or _tiles([_single_letters(w) for w in folded], words.drawn_out) is not None)


def _tiling(folded: Sequence[str], phrases: PhraseFinder) -> set[str]:
    """The meanings of the fewest phrases (meaning or politeness) that together are the whole reply."""
    return {m for m in _tiles(folded, phrases) or () if m}


def _tiles(folded: Sequence[str], phrases: PhraseFinder) -> list[str] | None:
    """The labels of the fewest phrases that together are the whole reply ("" for politeness), or None."""
    best: list[list[str] | None] = [None] * (len(folded) + 1)
    best[0] = []
    # A word that is both ("ok") counts as a meaning rather than as politeness.
    hits = sorted(phrases.find(list(folded)), key=lambda h: (h.start, h.label == ""))
    for hit in hits:
        before = best[hit.start]
        if before is not None and (best[hit.end] is None or len(best[hit.end]) > len(before) + 1):
            best[hit.end] = before + [hit.label]
    return best[-1]


@lru_cache(maxsize=512)  # the same few labels are read on every reply
def _label_meaning(label: str, words: ReplyWords) -> str | None:
    meanings = _meanings(tokens(label), words)
    return next(iter(meanings)) if len(meanings) == 1 else None


def _meaning_of(option: Option, words: ReplyWords) -> str | None:
    """The option's (first) declared meaning, or the one its label says on its own ("Klart ✓", "Avbryt")."""
    return option.meaning.split()[0] if option.meaning else _label_meaning(option.label, words)


def _meanings_of(option: Option, words: ReplyWords) -> set[str]:
    if option.meaning:
        return set(option.meaning.split())
    meaning = _label_meaning(option.label, words)
    return {meaning} if meaning else set()


def _label_fits(folded: Sequence[str], labels: Sequence[tuple[str, ...]], words: ReplyWords) -> list[int]:
    """The options whose label the reply is, typed loosely or in part: the best one, or the tied ones.

    A reply that is the whole label with typos beats one that is a part of another label; every word
    of the reply must be in the label, apart from words like "jag tar" and "tack", so a question that
    shares one word with a label fits nothing.
    """
    core = _strip(folded, words.choosing) or tuple(folded)
    text = " ".join(core)
    whole = {i: fuzz.ratio(text, " ".join(label)) for i, label in enumerate(labels) if label}
    whole = {i: r for i, r in whole.items() if r >= WHOLE_LABEL}
    if whole:
        return _best(whole)
    parts = {}
    for i, label in enumerate(labels):
        score = _part_score(folded, label, words)
        if score is not None:
            parts[i] = score
    return _best(parts)


def means_everything(text: str, words: ReplyWords = WORDS) -> bool:
    """Whether a reply asks for every option ("allt", "alla ämnen tack", "all of them")."""
    return _strip(tokens(text), words.politeness | words.choosing) in words.everything


def read_several(text: str, options: Sequence[Option], words: ReplyWords = WORDS) -> tuple[str, ...]:
    """The options a reply names when it names two or more, joined by commas or "och"/"and" ("företagsform och
    lokaler"): each part must be one option's text, typed loosely; otherwise (): one part that fits no option or
    several makes it not a list of options."""
    if len(text) > MAX_REPLY_CHARS:
        return ()
    labels = [tuple(tokens(o.label)) for o in options]
    parts: list[list[str]] = []
    for piece in re.split(r"[,;/+&]", text):
        parts.append([])
        for word in tokens(piece):
            if word in words.joining:
                parts.append([])
            else:
                parts[-1].append(word)
    parts = [p for p in parts if p]
    if len(parts) < 2:
        return ()
    chosen: list[str] = []
    for part in parts:
        fits = _label_fits(part, labels, words) if len(part) <= MAX_LABEL_WORDS else []
        if len(fits) != 1:
            return ()
        chosen.append(options[fits[0]].payload)
    return tuple(dict.fromkeys(chosen))


def _best(scores: dict[int, float]) -> list[int]:
    if not scores:
        return []
    top = max(scores.values())
    return [i for i, s in scores.items() if s > top - TIE]


def _part_score(folded: Sequence[str], label: tuple[str, ...], words: ReplyWords) -> float | None:
    """How well the reply's words are words of the label (mean similarity), or None if one is not."""
    free = list(label)
    scores, content = [], False
    for word in folded:
        best, where = 0.0, -1
        for j, candidate in enumerate(free):
            score = _word_similarity(word, candidate)
            if score > best:
                best, where = score, j
        if where >= 0:
            free[where] = ""
            scores.append(best)
            content = content or word not in words.function
        elif word not in words.choosing:
            return None
    return sum(scores) / len(scores) if content else None


def _word_similarity(typed: str, known: str) -> float:
    if typed == known:
        return 100.0
    if min(len(typed), len(known)) < 5 or typed.isdigit() or known.isdigit():
        return 0.0
    score = fuzz.ratio(typed, known)
    if known.startswith(typed) and len(typed) * 3 >= len(known) * 2:
        score = max(score, PREFIX_WORD)
    return score if score >= SAME_WORD else 0.0


# --- days and times ---------------------------------------------------------------------------------

_AM_PM = re.compile(r"\b([ap])\.\s?m\b\.?")
_TIME_TOKEN = re.compile(
    r"(?P<iso>\d{4})-(?P<iso_m>\d{1,2})-(?P<iso_d>\d{1,2})"
    r"|(?P<dm_d>\d{1,2})/(?P<dm_m>\d{1,2})(?:/(?P<dm_y>\d{4}|\d{2}))?(?![\d/])"
    r"|(?P<hm_h>\d{1,2})[:.](?P<hm_m>\d{2})(?![\d:.])"
    r"|(?P<num>\d{1,4})(?P<ordinal>:?(?:st|nd|rd|th|e|a)(?![^\W\d_]))?"
    r"|(?P<word>[^\W\d_]+(?:['’][^\W\d_]+)?)"
)
_APOSTROPHES = str.maketrans("", "", "'’")


@dataclass
class _Clock:
    hour: int
    minute: int = 0
    said_minutes: bool = False  # "10:30", "halv tio": not a bare hour
    leading_zero: bool = False  # "kl 02": a 24-hour clock, never moved to the afternoon
    half_of: int | None = None  # "halv tre": the hour named (3), for the afternoon rule
    am_pm: str | None = None


@dataclass
class _Said:
    """Everything a reply said about a day and a time, before it is resolved against now."""

    days: set[int] = field(default_factory=set)  # days from today
    weekdays: set[int] = field(default_factory=set)
    dates: set[tuple] = field(default_factory=set)  # (year | None, month, day)
    days_of_month: set[int] = field(default_factory=set)
    clocks: list[_Clock] = field(default_factory=list)
    parts: set[str] = field(default_factory=set)
    bare: list[int] = field(default_factory=list)  # numbers that are an hour only after a day ("tisdag 10")
    next: bool = False
    next_week: bool = False
    after: bool = False
    before: bool = False

    @property
    def has_day(self) -> bool:
        return bool(self.days or self.weekdays or self.dates or self.days_of_month)


def read_time(text: str, now: datetime, words: TimeWords | None = None) -> TimeWish | None:
    """A day and/or time in words ("imorgon kl 10", "next tuesday afternoon", "14/12") relative to now,
    or None when the text says something else too or names an impossible day or time."""
    words = words or WORDS.time
    if len(text) > MAX_REPLY_CHARS:
        return None
    said = _said(text.lower(), words)
    return _resolve(said, now.astimezone(STOCKHOLM), words) if said else None


def _time_items(text: str, words: TimeWords) -> list[tuple] | None:
    """The reply as a list of day and time items, or None if it holds a word that is neither."""
    raw: list[tuple] = []
    for m in _TIME_TOKEN.finditer(_AM_PM.sub(r"\1m", text)):
        if m["iso"]:
            raw.append(("date", int(m["iso"]), int(m["iso_m"]), int(m["iso_d"])))
        elif m["dm_d"]:
            year = m["dm_y"]
            year = None if year is None else int(year) + (2000 if len(year) == 2 else 0)
            raw.append(("date", year, int(m["dm_m"]), int(m["dm_d"])))
        elif m["hm_h"]:
            raw.append(("clock", _Clock(int(m["hm_h"]), int(m["hm_m"]), True, m["hm_h"].startswith("0"))))
        elif m["num"]:
            raw.append(("num", int(m["num"]), bool(m["ordinal"]), m["num"].startswith("0")))
        else:
            word = fold_word(m["word"].translate(_APOSTROPHES))
            after_number = raw and raw[-1][0] in ("num", "clock")
            if after_number and word in words.am | words.pm:
                raw.append(("ampm", "am" if word in words.am else "pm"))
            else:
                raw.append(("word", word))
    # Words become items through phrases (longest first, one typo in long words); numbers stay.
    plain = [item[1] if item[0] == "word" else "\0" for item in raw]
    taken = [False] * len(raw)
    items: dict[int, list[tuple]] = {}
    for hit in words.finder.find(plain):
        if any(taken[hit.start : hit.end]):
            continue
        taken[hit.start : hit.end] = [True] * hit.size
        meaning = words.meaning[hit.label]
        found = list(meaning[1]) if meaning[0] == "shorthand" else [meaning]
        items[hit.start] = [item for item in found if item[0] != "filler"]
    result: list[tuple] = []
    for i, item in enumerate(raw):
        if item[0] == "word":
            if not taken[i]:
                return None
            result.extend(items.get(i, ()))
        else:
            result.append(item)
    return result


def _said(text: str, words: TimeWords) -> _Said | None:
    items = _time_items(text, words)
    if not items:
        return None
    said = _Said()
    i = 0
    while i < len(items):
        kind, *value = items[i]
        following = items[i + 1] if i + 1 < len(items) else ("end",)
        if kind == "num" and following[0] == "month" or kind == "month" and following[0] == "num":
            day, month = (value[0], following[1]) if kind == "num" else (following[1], value[0])
            i += 2
            year = items[i] if i < len(items) and items[i][0] == "num" and items[i][1] >= 1000 else None
            i += year is not None  # "14 december 2027"
            said.dates.add((year and year[1], month, day))
            continue
        if kind == "month":  # a whole month is not a time to offer
            return None
        if kind == "num" and following[0] == "hour_suffix":  # "14-tiden"
            said.clocks.append(_Clock(value[0], leading_zero=value[2]))
            i += 2
            continue
        if kind == "num" and following[0] == "ampm":
            said.clocks.append(_Clock(value[0], leading_zero=value[2], am_pm=following[1]))
            i += 2
            continue
        if kind in ("at", "half", "after", "before"):
            said.after = said.after or kind == "after"
            said.before = said.before or kind == "before"
            if following[0] == "num":  # "kl 10", "halv tio", "efter 14", "at 3 pm"
                hour, leading_zero = following[1], following[3]
                if kind == "half":
                    clock = _Clock(hour - 1, 30, True, half_of=hour)
                else:
                    clock = _Clock(hour, leading_zero=leading_zero)
                i += 2
                if i < len(items) and items[i][0] == "ampm":
                    clock.am_pm = items[i][1]
                    i += 1
                said.clocks.append(clock)
                continue
            if kind == "half":
                return None
        elif kind == "clock":
            clock = value[0]
            if following[0] == "ampm":
                clock.am_pm = following[1]
                i += 1
            said.clocks.append(clock)
        elif kind == "num":
            previous = items[i - 1][0] if i else "start"
            if value[1] or previous == "day_of_month":
                said.days_of_month.add(value[0])
            else:
                said.bare.append(value[0])
        elif kind == "date":
            said.dates.add(tuple(value))
        elif kind == "day":
            said.days.add(value[0])
        elif kind == "weekday":
            said.weekdays.add(value[0])
        elif kind == "part":
            said.parts.add(value[0])
        elif kind == "named":
            said.clocks.append(_Clock(value[0].hour, value[0].minute, True))
        elif kind == "next":
            said.next = True
        elif kind == "next_week":
            said.next_week = True
        elif kind == "ampm":
            return None
        i += 1
    if said.bare:
        # "tisdag 10": a lone number after a day is the hour; without a day it could be anything.
        if len(said.bare) > 1 or said.clocks or not said.has_day:
            return None
        said.clocks.append(_Clock(said.bare[0]))
    return said


def _resolve(said: _Said, now: datetime, words: TimeWords) -> TimeWish | None:
    if len(said.clocks) > 1 or len(said.parts) > 1:
        return None
    part = next(iter(said.parts), None)
    clock = _clock_time(said.clocks[0], part, words) if said.clocks else None
    if said.clocks and clock is None:
        return None
    day = _day(said, now.date())
    if day is False:
        return None
    if day is None and said.next_week:
        if clock or part:
            return None
        monday = now.date() + timedelta(days=7 - now.weekday())
        return TimeWish(_at(monday, time(0)), _at(monday + timedelta(days=6), time(23, 59)), False)
    if said.next and not said.weekdays:
        return None
    window = words.parts[part] if part else (time(0), time(23, 59))
    latest = clock or (window[1] if part else max(end for _, end in words.parts.values()))
    if day == now.date() and said.weekdays and not (said.dates or said.days_of_month or said.days) \
            and _at(day, latest) <= now:
        day += timedelta(days=7)  # "torsdag eftermiddag" said on a Thursday evening: next Thursday
    if day is None:
        if clock is None and part is None:
            return None
        # Today while the time (or the part of the day) is still ahead, else tomorrow.
        latest = clock or window[1]
        day = now.date() if _at(now.date(), latest) > now else now.date() + timedelta(days=1)
    if clock is None:
        return TimeWish(_at(day, window[0]), _at(day, window[1]), False)
    if said.after:
        return TimeWish(_at(day, clock), _at(day, max(clock, window[1]) if part else time(23, 59)), False)
    if said.before:
        return TimeWish(_at(day, window[0]), _at(day, clock), False)
    return TimeWish(_at(day, clock), _at(day, clock), True)


def _clock_time(clock: _Clock, part: str | None, words: TimeWords) -> time | None:
    hour = clock.hour
    if clock.am_pm:
        if not 1 <= hour <= 12 or clock.leading_zero:
            return None
        hour = hour % 12 + (12 if clock.am_pm == "pm" else 0)
    elif part in words.pm_parts and hour < 12:
        hour += 12  # "kl 3 på eftermiddagen"
    elif part is None and not clock.leading_zero:
        spoken = clock.half_of if clock.half_of is not None else (None if clock.said_minutes else hour)
        if spoken in words.afternoon_hours:
            hour += 12  # "kl 2": meetings are by day
    if not (0 <= hour <= 23 and 0 <= clock.minute <= 59):
        return None
    return time(hour, clock.minute)


def _day(said: _Said, today: date) -> date | None | bool:
    """The one day the reply names, None if it names none, False if it names an impossible or
    contradictory one ("den 35 mars", "fredag 14 december" when the 14th is a Monday)."""
    days: set[date] = set()
    for year, month, day_of_month in said.dates:
        try:
            found = date(year or today.year, month, day_of_month)
            if year is None and found < today:
                found = found.replace(year=today.year + 1)
        except ValueError:
            return False
        days.add(found)
    for day_of_month in said.days_of_month:
        found = _next_day_of_month(today, day_of_month)
        if found is None:
            return False
        days.add(found)
    days |= {today + timedelta(days=n) for n in said.days}
    if len(days) > 1 or len(said.weekdays) > 1:
        return False
    if said.weekdays:
        weekday = next(iter(said.weekdays))
        if days:
            return days.pop() if next(iter(days)).weekday() == weekday else False
        if said.next_week:
            return today + timedelta(days=7 - today.weekday() + weekday)
        ahead = (weekday - today.weekday()) % 7
        return today + timedelta(days=ahead or (7 if said.next else 0))
    return days.pop() if days else None


def _next_day_of_month(today: date, day_of_month: int) -> date | None:
    """"den 14", "the 14th": this month's if still ahead, else next month's."""
    for months_ahead in (0, 1):
        month = today.month + months_ahead
        year = today.year + (month - 1) // 12
        try:
            found = date(year, (month - 1) % 12 + 1, day_of_month)
        except ValueError:
            continue
        if found >= today:
            return found
    return None


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=STOCKHOLM)
