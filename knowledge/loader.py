"""Read and validate a knowledge directory. Every problem is collected; nothing half-valid is returned."""

from __future__ import annotations

import datetime as dt
import functools
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import YAMLError

from .model import (
    LANGS,
    Authority,
    FaqEntry,
    GuideStep,
    IntentPatterns,
    Knowledge,
    Problem,
    Topic,
    fold_phrase,
)
from .municipalities import check_municipal_authorities, check_municipalities

AUTHORITIES_FILE = "authorities.yaml"
TOPICS_FILE = "topics.yaml"
SYNONYMS_FILE = "synonyms.yaml"
INTENTS_FILE = "intents.yaml"
GUIDE_FILE = "guide.yaml"  # optional: a knowledge directory without it has no start guide
MUNICIPALITIES_FILE = "municipalities.yaml"  # optional: checked when present (the bot reads the bundled one)
FAQ_DIR = "faq"


class KnowledgeError(Exception):
    """The knowledge directory is not valid; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the knowledge files")
        self.problems = problems


def bundled_dir() -> Path:
    return Path(str(resources.files("knowledge") / "data"))


def load_knowledge(directory: str | Path | None = None) -> Knowledge:
    """Load and validate; raise KnowledgeError listing every problem."""
    knowledge, problems = check_knowledge(directory)
    if problems or knowledge is None:
        raise KnowledgeError(problems)
    return knowledge


def check_knowledge(directory: str | Path | None = None) -> tuple[Knowledge | None, list[Problem]]:
    root = Path(directory) if directory is not None else bundled_dir()
    problems: list[Problem] = []
    if not root.is_dir():
        return None, [Problem(str(root), None, None, "not_a_directory")]

    topics = _load_models(root / TOPICS_FILE, "topics", Topic, problems)
    authorities = _load_models(root / AUTHORITIES_FILE, "authorities", Authority, problems)
    entries: dict[str, FaqEntry] = {}
    files: dict[str, str] = {}
    invalid: list[tuple[str, str, Any]] = []
    faq_files = sorted((root / FAQ_DIR).glob("*.yaml")) if (root / FAQ_DIR).is_dir() else []
    if not faq_files:
        problems.append(Problem(str(root / FAQ_DIR), None, None, "no_faq_files"))
    for path in faq_files:
        for entry_id, entry in _load_models(path, "entries", FaqEntry, problems, invalid).items():
            if entry_id in entries:
                problems.append(Problem(str(path), entry_id, "id", "duplicate_id", {"other": files[entry_id]}))
                continue
            entries[entry_id] = entry
            files[entry_id] = str(path)

    _check_references(authorities, topics, entries, files, root, problems)
    _check_raw_references(invalid, (("authorities", authorities, "unknown_authority"),
                                     ("topics", topics, "unknown_topic")), problems)
    _check_duplicate_phrasings(entries, files, problems)
    synonyms = _load_synonyms(root / SYNONYMS_FILE, problems)
    intents = _load_intents(root / INTENTS_FILE, problems)
    guide = _load_guide(root / GUIDE_FILE, authorities, topics, entries, problems)
    _check_municipalities(root / MUNICIPALITIES_FILE, problems)
    problems += check_municipal_authorities(authorities.values(), str(root / AUTHORITIES_FILE))

    if problems:
        return None, problems
    active = {k: e for k, e in entries.items() if not e.retired}
    retired = {k: e for k, e in entries.items() if e.retired}
    return (
        Knowledge(
            authorities=authorities,
            topics=topics,
            entries=active,
            retired=retired,
            synonyms=synonyms,
            intents=intents,
            source_dir=str(root),
            files=files,
            guide=guide,
        ),
        [],
    )


def read_yaml(path: Path, problems: list[Problem]) -> Any:
    if not path.is_file():
        problems.append(Problem(str(path), None, None, "missing_file"))
        return None
    try:
        return _reader().load(path.read_text(encoding="utf-8"))
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = str(mark.line + 1) if mark is not None else "?"
        problems.append(Problem(str(path), None, None, "yaml_syntax", {"line": line, "detail": str(getattr(exc, "problem", exc))}))
    except UnicodeDecodeError:
        problems.append(Problem(str(path), None, None, "not_utf8"))
    return None


def _load_models(
    path: Path, key: str, model: type[BaseModel], problems: list[Problem], invalid: list[tuple[str, str, Any]] | None = None
) -> dict[str, Any]:
    data = read_yaml(path, problems)
    if data is None:
        return {}
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        problems.append(Problem(str(path), None, key, "expected_list", {"key": key}))
        return {}
    result: dict[str, Any] = {}
    for index, raw in enumerate(items):
        line = _line_of(raw)
        where = f"{path}:{line}" if line else str(path)
        entry_id = str(raw.get("id")) if isinstance(raw, dict) and raw.get("id") is not None else f"#{index + 1}"
        try:
            item = model.model_validate(_plain(raw))
        except ValidationError as exc:
            for err in exc.errors():
                problems.append(_from_pydantic(where, entry_id, err))
            if invalid is not None and isinstance(raw, dict):
                invalid.append((where, entry_id, _plain(raw)))
            continue
        if item.id in result:  # type: ignore[attr-defined]
            problems.append(Problem(where, item.id, "id", "duplicate_id", {"other": str(path)}))  # type: ignore[attr-defined]
            continue
        result[item.id] = item  # type: ignore[attr-defined]
    return result


def _from_pydantic(where: str, entry_id: str, err: dict[str, Any]) -> Problem:
    loc = ".".join(str(p) for p in err["loc"])
    kind = err["type"]
    if kind == "missing":
        last = str(err["loc"][-1]) if err["loc"] else ""
        code = "missing_language" if last in LANGS else "missing_field"
        return Problem(where, entry_id, loc, code, {"field": last})
    if kind in ("string_too_short", "value_error") and "empty" in str(err.get("msg", "")) or kind == "string_too_short":
        return Problem(where, entry_id, loc, "empty_text")
    if kind == "too_short":
        return Problem(where, entry_id, loc, "too_few", {"min": str(err.get("ctx", {}).get("min_length", "?"))})
    if loc == "reviewed" or kind.startswith("date"):
        return Problem(where, entry_id, loc, "bad_date", {"value": str(err.get("input"))})
    if kind == "string_pattern_mismatch":
        return Problem(where, entry_id, loc, "bad_format", {"value": str(err.get("input"))})
    if kind == "extra_forbidden":
        return Problem(where, entry_id, loc, "unknown_field")
    return Problem(where, entry_id, loc, "invalid_value", {"detail": str(err.get("msg", kind))})


# Authorities without a website of their own: answers name the founder's municipality or region (bot/answers.py).
FOUNDERS_OWN = ("kommun", "region")


def _check_references(
    authorities: dict[str, Authority],
    topics: dict[str, Topic],
    entries: dict[str, FaqEntry],
    files: dict[str, str],
    root: Path,
    problems: list[Problem],
) -> None:
    auth_file = str(root / AUTHORITIES_FILE)
    for a in authorities.values():
        if a.parent is not None and a.parent not in authorities:
            problems.append(Problem(auth_file, a.id, "parent", "unknown_authority", {"id": a.parent}))
        if a.website is None and a.id not in FOUNDERS_OWN:
            problems.append(Problem(auth_file, a.id, "website", "missing_field", {"field": "website"}))
        for t in a.topics:
            if topics and t not in topics:
                problems.append(Problem(auth_file, a.id, "topics", "unknown_topic", {"id": t}))
    for e in entries.values():
        for a_id in e.authorities:
            if authorities and a_id not in authorities:
                problems.append(Problem(files[e.id], e.id, "authorities", "unknown_authority", {"id": a_id}))
        for t in e.topics:
            if topics and t not in topics:
                problems.append(Problem(files[e.id], e.id, "topics", "unknown_topic", {"id": t}))


References = tuple[tuple[str, dict[str, Any], str], ...]  # (field, the ids it may name, problem code)


def _check_raw_references(items: list[tuple[str, str, Any]], references: References, problems: list[Problem]) -> None:
    """Ids named in plain data (also of items that failed the schema, so every problem is listed)."""
    for where, entry_id, raw in items:
        for field, known, code in references:
            values = raw.get(field)
            if known and isinstance(values, list):
                for value in values:
                    if isinstance(value, str) and value not in known:
                        problems.append(Problem(where, entry_id, field, code, {"id": value}))


def _check_duplicate_phrasings(entries: dict[str, FaqEntry], files: dict[str, str], problems: list[Problem]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for e in entries.values():
        for lang in LANGS:
            own: set[str] = set()
            for phrase in e.phrasings(lang):
                key = fold_phrase(phrase)
                if key in own:
                    problems.append(Problem(files[e.id], e.id, f"alternates.{lang}", "repeated_phrasing", {"text": phrase}))
                    continue
                own.add(key)
                other = seen.get((lang, key))
                if other is not None:
                    problems.append(
                        Problem(files[e.id], e.id, f"alternates.{lang}", "shared_phrasing", {"text": phrase, "other": other})
                    )
                else:
                    seen[(lang, key)] = e.id


def _load_guide(
    path: Path, authorities: dict[str, Authority], topics: dict[str, Topic], entries: dict[str, FaqEntry],
    problems: list[Problem],
) -> tuple[GuideStep, ...]:
    """The start guide's steps in file order; every reference must name an existing authority, topic or entry."""
    if not path.exists():
        return ()
    invalid: list[tuple[str, str, Any]] = []
    steps = _load_models(path, "steps", GuideStep, problems, invalid)
    items = [(str(path), s.id, s.model_dump()) for s in steps.values()] + invalid
    _check_raw_references(items, (("authorities", authorities, "unknown_authority"), ("topics", topics, "unknown_topic"),
                                  ("faq", entries, "unknown_faq")), problems)
    for where, step_id, raw in items:
        named = raw.get("faq")
        for value in named if isinstance(named, list) else []:
            if isinstance(value, str) and value in entries and entries[value].retired:
                problems.append(Problem(where, step_id, "faq", "retired_faq", {"id": value}))
    if not steps and not invalid and not any(p.file.startswith(str(path)) for p in problems):
        problems.append(Problem(str(path), None, "steps", "too_few", {"min": "1"}))
    return tuple(steps.values())


def _check_municipalities(path: Path, problems: list[Problem]) -> None:
    """The municipality directory's problems (knowledge/municipalities.py says which), each at its line."""
    if path.exists():
        stat = path.stat()
        problems += _municipality_problems(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _municipality_problems(path: str, mtime_ns: int, size: int) -> tuple[Problem, ...]:
    """Parsing the 290 entries with line numbers takes about 0.3 s: done once per version of the file, not per load."""
    problems: list[Problem] = []
    data = read_yaml(Path(path), problems)
    if data is not None:
        def locate(raw: Any) -> str:
            line = _line_of(raw)
            return f"{path}:{line}" if line else path

        problems += check_municipalities(data, path, locate)
    return tuple(problems)


def _load_synonyms(path: Path, problems: list[Problem]) -> dict[str, list[str]]:
    data = read_yaml(path, problems)
    if data is None:
        return {}
    raw = data.get("synonyms") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        problems.append(Problem(str(path), None, "synonyms", "expected_mapping", {"key": "synonyms"}))
        return {}
    result: dict[str, list[str]] = {}
    for term, expansions in raw.items():
        values = expansions if isinstance(expansions, list) else [expansions]
        if not str(term).strip() or any(not str(v).strip() for v in values):
            problems.append(Problem(str(path), str(term), "synonyms", "empty_text"))
            continue
        result[fold_phrase(str(term))] = [fold_phrase(str(v)) for v in values]
    return result


def _load_intents(path: Path, problems: list[Problem]) -> dict[str, IntentPatterns]:
    data = read_yaml(path, problems)
    if data is None:
        return {}
    raw = data.get("intents") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        problems.append(Problem(str(path), None, "intents", "expected_mapping", {"key": "intents"}))
        return {}
    result: dict[str, IntentPatterns] = {}
    for name, patterns in raw.items():
        try:
            result[str(name)] = IntentPatterns.model_validate(_plain(patterns))
        except ValidationError as exc:
            for err in exc.errors():
                problems.append(_from_pydantic(str(path), str(name), err))
    return result


class _DatesAsText(RoundTripConstructor):
    """Keeps dates as text so a bad one (2026-13-01) becomes a per-entry problem, not a crash."""


_DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", lambda c, node: c.construct_scalar(node))


def _reader() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _DatesAsText
    return yaml


def _line_of(node: Any) -> int | None:
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else None


def _plain(node: Any) -> Any:
    """ruamel's commented containers -> plain dicts/lists/scalars for pydantic."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, dt.datetime):
        return node.date()
    if isinstance(node, str):
        return str(node)
    return node


def iter_problems_sorted(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.file, p.entry or "", p.field or ""))
