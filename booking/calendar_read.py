"""Reading an official's busy times over the network: a published ICS address (aiohttp) or a CalDAV
collection (the `caldav` client, which is synchronous, so it runs in a worker thread under a timeout). The
iCalendar is expanded in a worker thread too.

Failures raise CalendarReadError with a short reason that never contains the address or the password
(library exceptions often quote the URL, so they are never passed on).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import aiohttp

from .busy import CalendarDataError, Interval, busy_from_ics
from .calendar_sources import CalendarSource, _is_local

MAX_BYTES = 10 * 1024 * 1024  # a published calendar larger than this is refused
DEFAULT_TIMEOUT = 20.0  # seconds for one calendar, connection and reading together

# These libraries log request URLs (with the secret path) at DEBUG: never ours to show.
for _name in ("caldav", "niquests", "urllib3", "urllib3_future", "requests", "charset_normalizer"):
    _logger = logging.getLogger(_name)
    if _logger.level == logging.NOTSET or _logger.level < logging.WARNING:
        _logger.setLevel(logging.WARNING)


class CalendarReadError(Exception):
    """A calendar could not be read; `reason` says why in a word or two (safe to log and store)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def read_busy(source: CalendarSource, start: datetime, end: datetime, tz: ZoneInfo,
                    timeout: float = DEFAULT_TIMEOUT) -> list[Interval]:
    """The busy intervals of `source` overlapping [start, end), merged."""
    if source.kind == "caldav":
        documents = await _caldav_documents(source, start, end, timeout)
    else:
        documents = [await _ics_document(source, timeout)]
    try:
        # Expanding a large calendar takes a CPU-while (a tenth of a second for 200 events): off the event loop.
        return await asyncio.to_thread(busy_from_ics, documents, start, end, tz)
    except CalendarDataError as exc:
        raise CalendarReadError(f"not iCalendar ({exc})") from None


async def _ics_document(source: CalendarSource, timeout: float) -> bytes:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            async with session.get(source.fetch_url(), headers={"Accept": "text/calendar"}) as response:
                if response.status != 200:
                    raise CalendarReadError(f"HTTP {response.status}")
                body = await response.content.read(MAX_BYTES + 1)
    except CalendarReadError:
        raise
    except asyncio.TimeoutError:
        raise CalendarReadError("timeout") from None
    except aiohttp.ClientConnectorError:
        raise CalendarReadError("unreachable") from None
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        raise CalendarReadError(type(exc).__name__) from None
    if len(body) > MAX_BYTES:
        raise CalendarReadError("too large")
    return body


async def _caldav_documents(source: CalendarSource, start: datetime, end: datetime, timeout: float) -> list[bytes]:
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(None, _caldav_fetch, source, start, end, timeout)
    try:
        return await asyncio.wait_for(future, timeout + 1)
    except asyncio.TimeoutError:
        raise CalendarReadError("timeout") from None


def _caldav_fetch(source: CalendarSource, start: datetime, end: datetime, timeout: float) -> list[bytes]:
    """In a worker thread: the raw events of the collection that touch [start, end)."""
    import caldav
    from caldav.lib import error as caldav_error

    from urllib.parse import urlsplit

    url = source.fetch_url()
    try:
        with caldav.DAVClient(url=url, username=source.username, password=source.secret_password(),
                              timeout=int(timeout), require_tls=not _is_local(urlsplit(url).hostname),
                              enable_rfc6764=False) as client:
            collection = client.calendar(url=url)
            found = collection.search(start=start, end=end, event=True, expand=False, post_filter=False)
            return [obj.data.encode("utf-8") if isinstance(obj.data, str) else obj.data for obj in found]
    except caldav_error.AuthorizationError:
        raise CalendarReadError("login refused") from None
    except caldav_error.NotFoundError:
        raise CalendarReadError("HTTP 404") from None
    except Exception as exc:  # connection errors come from niquests/requests/urllib3 and quote the URL
        name = type(exc).__name__
        if "Timeout" in name:
            raise CalendarReadError("timeout") from None
        if "Connection" in name:
            raise CalendarReadError("unreachable") from None
        raise CalendarReadError(name) from None
