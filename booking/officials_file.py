"""Officials files: organisations, officials and weekly availability in YAML or CSV.

Parsing checks every row and reports each problem with its line and a reason code; nothing is
imported when anything is wrong. The same YAML shape is what `export_yaml` writes.

YAML:
    organisations:
      - {id: demo-kommun, name: "…", authority: kommun, place: "https://video.example.org/{ref}"}
    officials:
      - id: demo-anna
        name: "…"
        organisation: demo-kommun
        topics: [kommun, anstallningsstod]
        municipalities: []            # empty: every municipality
        address: console:demo-anna    # tg:…, mx:@…, console:…; optional
        email: anna@kommun.example    # optional
        notify_via: both              # chat | email | both; optional (default: whichever address there is)
        lang: sv
        active: true
        availability: {mon: ["09:00-12:00", "13:00-16:00"], tue: [...]}

CSV (officials only; organisations must exist already or come from a YAML import), header:
    id,name,organisation,topics,municipalities,address,email,notify_via,lang,active,availability
with lists separated by ";" and availability like "mon 09:00-12:00; tue 13:00-16:00".
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any, Iterable

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from .model import NotifyVia, Official, Organisation, WeeklyWindow
from .rules import WEEKDAYS

ADDRESS_PREFIXES = ("tg", "mx", "console")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
CSV_COLUMNS = ("id", "name", "organisation", "topics", "municipalities", "address", "email", "notify_via", "lang", "active",
               "availability")
# An ordinary address (no quotes, comments or spaces): local part @ a domain of at least two labels.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{1,253}$)"
                    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


@dataclass(frozen=True)
class ImportProblem:
    line: int
    code: str  # catalogue key suffix: officials_file.<code>
    params: dict[str, Any] = field(default_factory=dict)


class OfficialsFileError(Exception):
    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = sorted(problems, key=lambda p: p.line)


@dataclass
class OfficialsData:
    organisations: list[tuple[Organisation, str | None]] = field(default_factory=list)  # with place
    officials: list[Official] = field(default_factory=list)
    windows: list[WeeklyWindow] = field(default_factory=list)


def parse_file(
    path: str | Path,
    *,
    topics: Iterable[str],
    authorities: Iterable[str],
    existing_organisations: Iterable[str] = (),
) -> OfficialsData:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OfficialsFileError([ImportProblem(0, "unreadable", {"reason": type(exc).__name__})]) from exc
    parser = _Parser(set(topics), set(authorities), set(existing_organisations))
    if path.suffix.lower() == ".csv":
        return parser.csv(text)
    return parser.yaml(text)


class _Parser:
    def __init__(self, topics: set[str], authorities: set[str], existing_orgs: set[str]) -> None:
        self.topics = topics
        self.authorities = authorities
        self.existing_orgs = existing_orgs
        self.problems: list[ImportProblem] = []
        self.data = OfficialsData()
        self.seen_ids: set[str] = set()  # officials' ids met so far, valid rows or not

    def problem(self, line: int, code: str, **params: Any) -> None:
        self.problems.append(ImportProblem(line, code, params))

    def finish(self) -> OfficialsData:
        if self.problems:
            raise OfficialsFileError(self.problems)
        if not self.data.officials and not self.data.organisations:
            raise OfficialsFileError([ImportProblem(0, "empty")])
        return self.data

    # --- YAML ----------------------------------------------------------------------------

    def yaml(self, text: str) -> OfficialsData:
        try:
            doc = YAML(typ="rt").load(text)
        except YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            reason = getattr(exc, "problem", None) or str(exc)
            raise OfficialsFileError([ImportProblem((mark.line + 1) if mark else 0, "syntax", {"reason": reason})]) from None
        if not isinstance(doc, dict):
            raise OfficialsFileError([ImportProblem(1, "not_a_mapping")])
        for key in doc:
            if key not in ("organisations", "officials"):
                self.problem(_key_line(doc, key), "unknown_key", key=key)
        orgs = doc.get("organisations") or []
        for i, item in enumerate(orgs if isinstance(orgs, list) else []):
            self._organisation(_item_line(orgs, i), item)
        officials = doc.get("officials") or []
        if not isinstance(officials, list) or not isinstance(orgs, list):
            self.problem(1, "not_a_list")
        else:
            for i, item in enumerate(officials):
                self._official(_item_line(officials, i), item)
        return self.finish()

    def _organisation(self, line: int, item: Any) -> None:
        if not isinstance(item, dict):
            return self.problem(line, "not_a_mapping")
        oid, name, authority = str(item.get("id") or ""), str(item.get("name") or "").strip(), str(item.get("authority") or "")
        if not _ID.match(oid):
            self.problem(line, "bad_id", value=oid)
        elif any(o.id == oid for o, _ in self.data.organisations):
            self.problem(line, "duplicate_id", value=oid)
        if not name:
            self.problem(line, "missing", field="name")
        if authority not in self.authorities:
            self.problem(line, "unknown_authority", value=authority)
        place = item.get("place")
        for key in item:
            if key not in ("id", "name", "authority", "place"):
                self.problem(_key_line(item, key) or line, "unknown_key", key=key)
        if _ID.match(oid) and name and authority in self.authorities:
            self.data.organisations.append((Organisation(oid, name, authority), str(place) if place else None))

    def _official(self, line: int, item: Any) -> None:
        if not isinstance(item, dict):
            return self.problem(line, "not_a_mapping")
        for key in item:
            if key not in CSV_COLUMNS:
                self.problem(_key_line(item, key) or line, "unknown_key", key=key)
        availability = item.get("availability") or {}
        spans: list[tuple[int, str]] = []
        if not isinstance(availability, dict):
            self.problem(line, "bad_availability", value=str(availability))
        else:
            for day, values in availability.items():
                values = values if isinstance(values, list) else [values]
                if str(day).lower() not in WEEKDAYS:
                    self.problem(line, "bad_weekday", value=str(day))
                    continue
                spans += [(WEEKDAYS.index(str(day).lower()), str(v)) for v in values]
        topics, municipalities = (self._list(line, name, item.get(name)) for name in ("topics", "municipalities"))
        self._add_official(line, item.get("id"), item.get("name"), item.get("organisation"), topics,
                           municipalities, item.get("address"), item.get("lang"), item.get("active", True), spans,
                           item.get("email"), item.get("notify_via"))

    def _list(self, line: int, name: str, value: Any) -> list[Any]:
        """A list field: one item may be given alone; a mapping or a number is a problem."""
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
            return value
        self.problem(line, "bad_list", field=name)
        return []

    # --- CSV -----------------------------------------------------------------------------

    def csv(self, text: str) -> OfficialsData:
        reader = csv.DictReader(io.StringIO(text), strict=True)
        self.csv_line = 0  # the last line read whole
        try:
            self._csv_rows(reader)
        except csv.Error as exc:  # e.g. a quote that is never closed: it starts on the line after the last good one
            self.problem(self.csv_line + 1, "csv_syntax", reason=str(exc))
        return self.finish()

    def _csv_rows(self, reader: csv.DictReader) -> None:
        fieldnames = reader.fieldnames or []
        self.csv_line = reader.line_num
        missing = [c for c in ("id", "name", "organisation") if c not in fieldnames]
        unknown = [c for c in fieldnames if c not in CSV_COLUMNS]
        if missing or unknown:
            for c in missing:
                self.problem(1, "missing_column", column=c)
            for c in unknown:
                self.problem(1, "unknown_column", column=c)
            return
        for row in reader:
            line = self.csv_line = reader.line_num
            if row.get(None):  # type: ignore[call-overload]  # DictReader keeps cells beyond the header under None
                self.problem(line, "extra_cells", count=len(row[None]))  # type: ignore[index]
            spans: list[tuple[int, str]] = []
            for part in filter(None, (p.strip() for p in (row.get("availability") or "").split(";"))):
                day, _, span = part.partition(" ")
                if day.lower() not in WEEKDAYS:
                    self.problem(line, "bad_weekday", value=day)
                    continue
                spans.append((WEEKDAYS.index(day.lower()), span))
            active = (row.get("active") or "true").strip().lower()
            if active not in ("true", "false", "1", "0", "ja", "nej", "yes", "no"):
                self.problem(line, "bad_active", value=active)
            self._add_official(
                line, row.get("id"), row.get("name"), row.get("organisation"), _split(row.get("topics")),
                _split(row.get("municipalities")), row.get("address") or None, row.get("lang") or "sv",
                active in ("true", "1", "ja", "yes"), spans, row.get("email") or None, row.get("notify_via") or None,
            )

    # --- shared --------------------------------------------------------------------------

    def _add_official(self, line, oid, name, org, topics, municipalities, address, lang, active, spans,
                      email=None, notify_via=None) -> None:
        oid, name, org = str(oid or ""), str(name or "").strip(), str(org or "")
        before = len(self.problems)
        if not _ID.match(oid):
            self.problem(line, "bad_id", value=oid)
        elif oid in self.seen_ids:
            self.problem(line, "duplicate_id", value=oid)
        self.seen_ids.add(oid)
        if not name:
            self.problem(line, "missing", field="name")
        if org not in self.existing_orgs and not any(o.id == org for o, _ in self.data.organisations):
            self.problem(line, "unknown_organisation", value=org)
        topics = list(topics or [])
        for topic in topics:
            if str(topic) not in self.topics:
                self.problem(line, "unknown_topic", value=str(topic))
        if not topics:
            self.problem(line, "missing", field="topics")
        if address is not None:
            address = str(address).strip()
            prefix, _, rest = address.partition(":")
            if prefix not in ADDRESS_PREFIXES or not rest:
                self.problem(line, "bad_address", value=address)
            elif any(o.address == address for o in self.data.officials):
                self.problem(line, "duplicate_address", value=address)
        email, notify_via = self._mail(line, email, notify_via)
        lang = str(lang or "sv")
        if lang not in ("sv", "en"):
            self.problem(line, "bad_lang", value=lang)
        if not isinstance(active, bool):
            self.problem(line, "bad_active", value=str(active))
        windows = []
        for weekday, span in spans:
            match = _SPAN.match(span)
            try:
                start, end = time(int(match[1]), int(match[2])), time(int(match[3]), int(match[4]))  # type: ignore[index]
            except (TypeError, ValueError):
                self.problem(line, "bad_span", value=span)
                continue
            if end <= start:
                self.problem(line, "bad_span", value=span)
                continue
            windows.append(WeeklyWindow(oid, weekday, start, end))
        if len(self.problems) == before:
            self.data.officials.append(Official(
                oid, name, org, frozenset(map(str, topics)), frozenset(str(m) for m in (municipalities or [])),
                address, lang, bool(active), email, notify_via,
            ))
            self.data.windows += windows


    def _mail(self, line: int, email: Any, notify_via: Any) -> tuple[str | None, str | None]:
        """The checked e-mail address and notify_via (each None when not given)."""
        if email is not None:
            email = str(email).strip() or None
        if email is not None:
            if not _EMAIL.match(email):
                self.problem(line, "bad_email", value=email)
            elif any(o.email and o.email.casefold() == email.casefold() for o in self.data.officials):
                self.problem(line, "duplicate_email", value=email)
        if notify_via is not None:
            notify_via = str(notify_via).strip().lower() or None
        if notify_via is not None:
            if notify_via not in set(NotifyVia):
                self.problem(line, "bad_notify_via", value=notify_via)
            elif notify_via != NotifyVia.CHAT and email is None:
                self.problem(line, "notify_needs_email", value=notify_via)
        return email, notify_via


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(";") if p.strip()]


def _item_line(seq: Any, index: int) -> int:
    try:
        return seq.lc.item(index)[0] + 1
    except (AttributeError, KeyError, TypeError):
        return 0


def _key_line(mapping: Any, key: Any) -> int:
    try:
        return mapping.lc.key(key)[0] + 1
    except (AttributeError, KeyError, TypeError):
        return 0


async def apply(conn: Any, data: OfficialsData, deactivate_others: bool = False) -> tuple[int, int]:
    """Write the parsed data (inside the caller's transaction): upsert organisations and officials,
    replace the imported officials' weekly windows. Returns (organisations, officials) written."""
    for org, place in data.organisations:
        await conn.execute(
            "INSERT INTO organisations(id, name, authority_id, place) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE"
            " SET name = excluded.name, authority_id = excluded.authority_id, place = excluded.place",
            (org.id, org.name, org.authority_id, place),
        )
    ids = [o.id for o in data.officials]
    if deactivate_others:
        marks = ",".join("?" * len(ids)) or "''"
        await conn.execute(f"UPDATE officials SET active = 0 WHERE id NOT IN ({marks})", ids)
    for o in data.officials:
        if o.address:  # an address moves to the official the file gives it to
            await conn.execute("UPDATE officials SET address = NULL WHERE address = ? AND id != ?", (o.address, o.id))
        if o.email:  # so does an e-mail address
            await conn.execute("UPDATE officials SET email = NULL WHERE email = ? COLLATE NOCASE AND id != ?",
                               (o.email, o.id))
        # The file is where e-mail addresses come from (chat addresses also come from invite codes): it sets them.
        await conn.execute(
            "INSERT INTO officials(id, name, organisation_id, topics, municipalities, address, lang, active, email,"
            " notify_via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name,"
            " organisation_id = excluded.organisation_id, topics = excluded.topics,"
            " municipalities = excluded.municipalities, address = COALESCE(excluded.address, officials.address),"
            " lang = excluded.lang, active = excluded.active, email = excluded.email, notify_via = excluded.notify_via",
            (o.id, o.name, o.organisation_id, json.dumps(sorted(o.topics)), json.dumps(sorted(o.municipalities)),
             o.address, o.lang, int(o.active), o.email, o.notify_via and str(o.notify_via)),
        )
        await conn.execute("DELETE FROM weekly_windows WHERE official_id = ?", (o.id,))
    for w in data.windows:
        await conn.execute(
            "INSERT INTO weekly_windows(official_id, weekday, start_local, end_local) VALUES (?, ?, ?, ?)",
            (w.official_id, w.weekday, w.start.strftime("%H:%M"), w.end.strftime("%H:%M")),
        )
    return len(data.organisations), len(data.officials)


def export_yaml(organisations: list[tuple[Organisation, str | None]], officials: list[Official],
                windows: list[WeeklyWindow]) -> str:
    """The officials file for what is in the database, in the shape `parse_file` reads."""
    by_official = _availability(windows)
    doc = {
        "organisations": [
            {"id": o.id, "name": o.name, "authority": o.authority_id, **({"place": p} if p else {})}
            for o, p in organisations
        ],
        "officials": [
            {
                "id": o.id, "name": o.name, "organisation": o.organisation_id, "topics": sorted(o.topics),
                "municipalities": sorted(o.municipalities), **({"address": o.address} if o.address else {}),
                **({"email": o.email} if o.email else {}),
                **({"notify_via": str(o.notify_via)} if o.notify_via else {}),
                "lang": o.lang, "active": o.active, "availability": by_official.get(o.id, {}),
            }
            for o in officials
        ],
    }
    out = io.StringIO()
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.dump(doc, out)
    return out.getvalue()


def _availability(windows: list[WeeklyWindow]) -> dict[str, dict[str, list[str]]]:
    by_official: dict[str, dict[str, list[str]]] = {}
    for w in windows:
        by_official.setdefault(w.official_id, {}).setdefault(WEEKDAYS[w.weekday], []).append(
            f"{w.start:%H:%M}-{w.end:%H:%M}")
    return by_official


def export_csv(officials: list[Official], windows: list[WeeklyWindow]) -> str:
    """The officials as the CSV file `parse_file` reads (organisations must exist where it is imported)."""
    availability = _availability(windows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for o in officials:
        days = availability.get(o.id, {})
        writer.writerow([
            o.id, o.name, o.organisation_id, ";".join(sorted(o.topics)), ";".join(sorted(o.municipalities)),
            o.address or "", o.email or "", str(o.notify_via) if o.notify_via else "", o.lang,
            "true" if o.active else "false", "; ".join(f"{day} {span}" for day, spans in days.items() for span in spans),
        ])
    return out.getvalue()

