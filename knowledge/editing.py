"""Write FAQ changes back to the knowledge YAML files, keeping comments, order and quoting.

Every change is made on a round-trip copy of the one file that holds the entry, validated with the same
rules as `dukat-bord faq check` on a scratch copy of the whole directory, and only then written (to a
temporary file that replaces the original, so a reader never sees half a file). A change carries the
version of the entry its author saw; if the entry changed since, the change is refused (`conflict`).

The bundled knowledge (inside the installed package) is never edited: set DUKAT_KNOWLEDGE_DIR to a
writable copy (`dukat-bord faq copy DIR` makes one).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, FoldedScalarString, LiteralScalarString

from .loader import FAQ_DIR, GUIDE_FILE, _plain, bundled_dir, check_knowledge
from .model import LANGS, Problem

NEW_ENTRIES_FILE = "90_koordinatorer.yaml"
NEW_FILE_HEADER = "# Poster skapade av samordnare i chatten (dukat-bord). Flytta gärna till rätt fil.\nentries:\n"
FOLD_WIDTH = 105
# FAQ entries and start guide steps share one editor; a step is named `guide/<step id>`.
GUIDE_PREFIX = "guide/"
TEXT_FIELDS = ("question", "lead", "answer", "title", "body")  # bilingual texts
PHRASE_LISTS = ("alternates", "ask")  # lists per language
LIST_FIELDS = ("authorities", "faq", "topics")
FIELD_ORDER = ("id", "question", "title", "alternates", "lead", "answer", "body", "ask", "authorities", "faq", "topics",
               "source", "reviewed", "retired")


class EditRefused(Exception):
    """Nothing was written. `code`: not_writable | unknown_entry | conflict | invalid | exists."""

    def __init__(self, code: str, problems: list[Problem] | None = None, **params: str) -> None:
        super().__init__(code)
        self.code = code
        self.problems = problems or []
        self.params = params


@dataclass(frozen=True)
class Change:
    entry_id: str
    before: dict[str, Any] | None  # None: the entry was created
    after: dict[str, Any]
    file: str


def entry_version(data: dict[str, Any] | None) -> str:
    """A short fingerprint of an entry's content: what an editor saw when they started."""
    if data is None:
        return "none"
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)  # the layout of the bundled files
    yaml.width = 4096  # never re-wrap lines nobody touched
    return yaml


def _folded(text: str) -> FoldedScalarString:
    """A `>-` block folded near FOLD_WIDTH characters, like the hand-written answers."""
    value = FoldedScalarString(text)
    positions, line_start = [], 0
    for i, ch in enumerate(text):
        if ch == " " and i - line_start >= FOLD_WIDTH - 10 and 0 < i < len(text) - 1 and text[i + 1] != " " and text[i - 1] != " ":
            positions.append(i)
            line_start = i + 1
    value.fold_pos = positions  # type: ignore[attr-defined]
    return value


def styled(old: Any, text: str) -> Any:
    """`text` in the scalar style of the value it replaces (folded answers stay folded, quotes stay)."""
    if isinstance(old, FoldedScalarString) or (old is None and len(text) > FOLD_WIDTH) or isinstance(old, LiteralScalarString):
        return _folded(text) if "\n" not in text else LiteralScalarString(text)
    if isinstance(old, DoubleQuotedScalarString) or old is None:
        return DoubleQuotedScalarString(text)
    return text


def _flow_list(values: list[str]) -> CommentedSeq:
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


def plain_entry(node: Any) -> dict[str, Any]:
    data = _plain(node)
    if isinstance(data.get("reviewed"), (dt.date, dt.datetime)):
        data["reviewed"] = data["reviewed"].isoformat()[:10]
    return data


class KnowledgeEditor:
    """Edits FAQ entries in `directory` (None or the bundled dir: refused, see module doc)."""

    _lock = threading.Lock()  # one writer at a time in this process

    def __init__(self, directory: str | Path | None) -> None:
        self.directory = Path(directory) if directory is not None else None

    @property
    def writable(self) -> bool:
        if self.directory is None:
            return False
        try:
            return self.directory.resolve() != bundled_dir().resolve() and os.access(self.directory / FAQ_DIR, os.W_OK)
        except OSError:
            return False

    def _require_writable(self) -> Path:
        if not self.writable or self.directory is None:
            raise EditRefused("not_writable", dir=str(self.directory or bundled_dir()))
        return self.directory

    # --- reading ---------------------------------------------------------------------------------

    def _files(self) -> list[Path]:
        root = self._require_writable()
        return sorted((root / FAQ_DIR).glob("*.yaml"))

    def _locate(self, entry_id: str) -> tuple[Path, Any, CommentedSeq, int]:
        yaml = _yaml()
        if entry_id.startswith(GUIDE_PREFIX):
            guide = self._require_writable() / GUIDE_FILE
            places = [(guide, "steps", entry_id[len(GUIDE_PREFIX):])] if guide.is_file() else []
        else:
            places = [(path, "entries", entry_id) for path in self._files()]
        for path, key, wanted in places:
            data = yaml.load(path.read_text(encoding="utf-8"))
            entries = data.get(key) if isinstance(data, dict) else None
            if not isinstance(entries, list):
                continue
            for index, node in enumerate(entries):
                if isinstance(node, dict) and str(node.get("id")) == wanted:
                    return path, data, entries, index
        raise EditRefused("unknown_entry", id=entry_id)

    def entry(self, entry_id: str) -> dict[str, Any]:
        _, _, entries, index = self._locate(entry_id)
        return plain_entry(entries[index])

    def version(self, entry_id: str) -> str:
        try:
            return entry_version(self.entry(entry_id))
        except EditRefused as exc:
            if exc.code == "unknown_entry":
                return entry_version(None)
            raise

    # --- writing ---------------------------------------------------------------------------------

    def update(self, entry_id: str, expected_version: str, mutate: Callable[[CommentedMap], None]) -> Change:
        """Apply `mutate` to the entry's mapping, validate, write. Raises EditRefused, writing nothing."""
        with self._lock:
            path, data, entries, index = self._locate(entry_id)
            node = entries[index]
            before = plain_entry(node)
            if entry_version(before) != expected_version:
                raise EditRefused("conflict", id=entry_id)
            mutate(node)
            after = plain_entry(node)
            self._validate_and_write(path, data)
            return Change(entry_id, before, after, str(path))

    def create(self, entry: dict[str, Any], file_name: str = NEW_ENTRIES_FILE) -> Change:
        """Append a new entry (plain data) to `faq/<file_name>`, creating that file when needed."""
        with self._lock:
            root = self._require_writable()
            entry_id = str(entry.get("id", ""))
            try:
                self._locate(entry_id)
            except EditRefused as exc:
                if exc.code != "unknown_entry":
                    raise
            else:
                raise EditRefused("exists", id=entry_id)
            path = root / FAQ_DIR / file_name
            yaml = _yaml()
            data = yaml.load(path.read_text(encoding="utf-8") if path.exists() else NEW_FILE_HEADER)
            if data.get("entries") is None:
                data["entries"] = CommentedSeq()
            node = build_entry(entry)
            data["entries"].append(node)
            self._validate_and_write(path, data)
            return Change(entry_id, None, plain_entry(node), str(path))

    def restore(self, entry_id: str, expected_version: str, target: dict[str, Any] | None) -> Change:
        """Make the entry equal to `target` (an earlier version); None retires an entry that was created."""
        if target is None:
            return self.update(entry_id, expected_version, lambda node: node.__setitem__("retired", True))
        try:
            return self.update(entry_id, expected_version, lambda node: assign(node, target))
        except EditRefused as exc:
            if exc.code != "unknown_entry":
                raise
        if expected_version != entry_version(None):
            raise EditRefused("conflict", id=entry_id)
        return self.create(target)

    def _validate_and_write(self, path: Path, data: Any) -> None:
        root = self._require_writable()
        out = io.StringIO()
        _yaml().dump(data, out)
        text = out.getvalue()
        with tempfile.TemporaryDirectory(prefix="dukat-check-") as scratch:
            trial = Path(scratch) / "knowledge"
            shutil.copytree(root, trial, ignore=shutil.ignore_patterns(".*"))
            (trial / path.relative_to(root)).parent.mkdir(parents=True, exist_ok=True)
            (trial / path.relative_to(root)).write_text(text, encoding="utf-8")
            _, problems = check_knowledge(trial)
            if problems:
                prefix = str(trial)
                raise EditRefused("invalid", [
                    Problem(p.file.replace(prefix, str(root)), p.entry, p.field, p.code, p.params) for p in problems
                ])
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".edit-", suffix=".yaml")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            if path.exists():
                shutil.copymode(path, tmp)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


# --- mutations on a round-trip mapping ------------------------------------------------------------


def set_text(node: CommentedMap, field: str, lang: str | None, text: str) -> None:
    """question/answer per language, or source."""
    if lang is None:
        node[field] = styled(node.get(field), text)
    else:
        node[field][lang] = styled(node[field].get(lang), text)


def set_lead(node: CommentedMap, lead: dict[str, str] | None) -> None:
    """Give the entry a yes/no lead in both languages (placed before `answer`), or remove it with None."""
    if lead is None:
        node.pop("lead", None)
        return
    value = node.get("lead")
    if not isinstance(value, dict):
        value = CommentedMap()
        _place(node, "lead", value)
    for lang in LANGS:
        value[lang] = styled(value.get(lang), lead[lang])


def _place(node: CommentedMap, key: str, value: Any) -> None:
    """Add a key in its FIELD_ORDER position, so a field added later reads where a person would write it."""
    node.pop(key, None)
    later = FIELD_ORDER[FIELD_ORDER.index(key) + 1:] if key in FIELD_ORDER else ()
    keys = list(node.keys())
    position = next((keys.index(k) for k in keys if k in later), len(keys))
    node.insert(position, key, value)


def add_alternate(node: CommentedMap, lang: str, text: str) -> None:
    alternates = node["alternates"][lang]
    style = alternates[-1] if len(alternates) else None
    alternates.append(styled(style, text) if style is not None else DoubleQuotedScalarString(text))


def set_list(node: CommentedMap, field: str, values: list[str]) -> None:
    old = node.get(field)
    if isinstance(old, CommentedSeq):
        old[:] = values
    else:
        node[field] = _flow_list(values)


def set_reviewed(node: CommentedMap, day: dt.date) -> None:
    node["reviewed"] = day


def assign(node: CommentedMap, target: dict[str, Any]) -> None:
    """Make `node` equal to `target`, changing only what differs (so comments and styles stay)."""
    for key in list(node.keys()):
        if key not in target:
            del node[key]
    for key in FIELD_ORDER:
        if key not in target:
            continue
        value = target[key]
        if key in node and plain_entry({key: node[key]}).get(key) == value:
            continue
        if key in TEXT_FIELDS:
            if not isinstance(node.get(key), dict):
                _place(node, key, CommentedMap())
            for lang in LANGS:
                if node[key].get(lang) != value[lang]:
                    node[key][lang] = styled(node[key].get(lang), value[lang])
        elif key in PHRASE_LISTS:
            if not isinstance(node.get(key), dict):
                node[key] = CommentedMap()
            for lang in LANGS:
                old = node[key].get(lang)
                if old is not None and [str(v) for v in old] == list(value[lang]):
                    continue
                if isinstance(old, CommentedSeq):
                    sample = old[0] if len(old) else None
                    old[:] = [styled(sample, v) for v in value[lang]]
                else:
                    node[key][lang] = CommentedSeq([DoubleQuotedScalarString(v) for v in value[lang]])
        elif key in LIST_FIELDS:
            set_list(node, key, list(value))
        elif key == "reviewed":
            node[key] = dt.date.fromisoformat(str(value))
        elif key == "source":
            node[key] = styled(node.get(key), str(value))
        else:
            node[key] = copy.deepcopy(value)


def build_entry(entry: dict[str, Any]) -> CommentedMap:
    node = CommentedMap()
    node["id"] = entry["id"]
    assign(node, entry)
    return node
