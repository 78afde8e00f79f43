"""Where each official's own calendar is read from: the owner-only credentials file (YAML).

The addresses and passwords in it are secrets (a published calendar address gives anyone the calendar), so
they live apart from the officials file, in a file only its owner may read (mode 0600): a file that the group
or others can access is refused, not read. Format:

    calendars:
      anna-k:                                     # an official's id
        url: https://outlook.office365.com/owa/calendar/…/calendar.ics   # a published ICS address
      bengt-a:
        url: https://caldav.example.org/dav/bengt/calendar/                # a CalDAV collection
        username: bengt
        password: "…"                             # or password_env: NAME_OF_A_VARIABLE

A source with a username is a CalDAV collection; without, a published ICS address (`webcal://` is read
as `https://`). Plain `http://` is accepted only for this machine (localhost), because the address or the
password would travel readable.
"""

from __future__ import annotations

import io
import ipaddress
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

ICS = "ics"
CALDAV = "caldav"


class CalendarSourcesError(Exception):
    """The credentials file or a source in it cannot be used. `code` names the reason (catalogue
    `calendars.problem_<code>`), `params` its details (never a secret)."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class CalendarSource:
    official_id: str
    url: str
    username: str | None = None
    password: str | None = None
    password_env: str | None = None

    @property
    def kind(self) -> str:
        return CALDAV if self.username else ICS

    def secret_password(self, env: Mapping[str, str] | None = None) -> str | None:
        if self.password is not None:
            return self.password
        if self.password_env:
            return (os.environ if env is None else env).get(self.password_env)
        return None

    def fetch_url(self) -> str:
        """The address to fetch: `webcal://` as `https://`."""
        if self.url.lower().startswith("webcal://"):
            return "https://" + self.url[len("webcal://"):]
        return self.url

    def __repr__(self) -> str:  # never the address or the password
        return f"CalendarSource(official_id={self.official_id!r}, kind={self.kind!r})"

    __str__ = __repr__


def _is_local(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> None:
    """Raise CalendarSourcesError unless `url` is an https:// or webcal:// address (http:// only to localhost)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise CalendarSourcesError("bad_url") from None
    scheme = parts.scheme.lower()
    if not parts.hostname or scheme not in ("https", "webcal", "http"):
        raise CalendarSourcesError("bad_url")
    if scheme == "http" and not _is_local(parts.hostname):
        raise CalendarSourcesError("plain_http")


def _check_private(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CalendarSourcesError("not_private", file=str(path), mode=f"{stat.S_IMODE(mode):o}")


def load_sources(path: Path) -> dict[str, CalendarSource]:
    """The sources per official id; {} when there is no file. Raises CalendarSourcesError when the file is
    readable by others (it is then not read) or malformed."""
    if not path.exists():
        return {}
    if path.is_dir():
        raise CalendarSourcesError("not_a_file", file=str(path))
    _check_private(path)
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarSourcesError("unreadable", file=str(path), error=type(exc).__name__) from None
    except YAMLError:
        raise CalendarSourcesError("not_yaml", file=str(path)) from None
    entries = data.get("calendars") if isinstance(data, dict) else None
    if entries is None:
        entries = {}
    if not isinstance(entries, dict):
        raise CalendarSourcesError("bad_format", file=str(path))
    sources: dict[str, CalendarSource] = {}
    for official_id, entry in entries.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            raise CalendarSourcesError("bad_entry", file=str(path), id=str(official_id))
        try:
            check_url(entry["url"])
        except CalendarSourcesError as exc:
            raise CalendarSourcesError("bad_entry_url", file=str(path), id=str(official_id),
                                       reason=exc.code) from None
        strings = {k: entry.get(k) for k in ("username", "password", "password_env")}
        if any(v is not None and not isinstance(v, str) for v in strings.values()):
            raise CalendarSourcesError("bad_entry", file=str(path), id=str(official_id))
        sources[str(official_id)] = CalendarSource(str(official_id), entry["url"].strip(), **strings)
    return sources


def save_sources(path: Path, sources: Mapping[str, CalendarSource]) -> None:
    """Write the file owner-only (0600), replacing it in one step."""
    entries = {}
    for official_id in sorted(sources):
        s = sources[official_id]
        entry = {"url": s.url}
        for key in ("username", "password", "password_env"):
            if getattr(s, key) is not None:
                entry[key] = getattr(s, key)
        entries[official_id] = entry
    written = io.StringIO()
    dumper = YAML(typ="safe")
    dumper.allow_unicode, dumper.default_flow_style = True, False
    dumper.dump({"calendars": entries}, written)
    text = ("# Officials' calendar sources: secrets, keep this file readable by its owner only (chmod 600).\n"
            + written.getvalue())
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
