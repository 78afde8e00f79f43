"""python-telegram-bot's networking on aiohttp instead of httpx (PTB's `BaseRequest` extension point).

Why: measured on this machine, one Bot API call costs about 1.7 ms of CPU through httpx and 0.4 ms
through aiohttp, and every message costs at least two calls (getUpdates, sendMessage); aiohttp is
already installed for matrix-nio. Calls without a file go as a JSON body, calls with one as a
multipart form. PTB keeps doing everything else: parameters, status codes to exceptions (Forbidden,
RetryAfter, ...), parsing the answers. A connection that could not be made (nothing was sent)
is tried again a few times, as httpx's transport did.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

DefaultValue = type(BaseRequest.DEFAULT_NONE)  # PTB's "not given" marker for a timeout

CONNECT_ATTEMPTS = 4  # the first try and three more
MEDIA_WRITE_TIMEOUT = 20.0
JSON_BODY = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    def __init__(self, connection_pool_size: int = 256, read_timeout: float | None = 5.0,
                 connect_timeout: float | None = 5.0, pool_timeout: float | None = 10.0,
                 write_timeout: float | None = 5.0) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._write_timeout = write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _timeout(self, read: Any, write: Any, connect: Any, pool: Any, upload: bool) -> aiohttp.ClientTimeout:
        read = self._read_timeout if isinstance(read, DefaultValue) else read
        connect = self._connect_timeout if isinstance(connect, DefaultValue) else connect
        pool = self._pool_timeout if isinstance(pool, DefaultValue) else pool
        write = (MEDIA_WRITE_TIMEOUT if upload else self._write_timeout) if isinstance(write, DefaultValue) else write
        # aiohttp has no write timeout of its own: an upload may take its write time on top of reading.
        total = None if read is None or write is None else read + write + (connect or 0) + (pool or 0)
        return aiohttp.ClientTimeout(total=total, connect=pool, sock_connect=connect, sock_read=read)

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE, write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else None
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout, bool(files))
        headers, payload = None, None
        if request_data is not None and not files:
            # JSON, which the Bot API takes for every call without a file: cheaper than a url-encoded form.
            headers = JSON_BODY
            payload = json.dumps(request_data.parameters, ensure_ascii=False).encode()
        for attempt in range(1, CONNECT_ATTEMPTS + 1):
            # A form is consumed by sending it: a new one for each attempt.
            body: Any = _form(request_data.json_parameters, files) if request_data and files else payload
            try:
                async with self._session.request(method, url, data=body, headers=headers,
                                                 timeout=timeout) as response:
                    return response.status, await response.read()
            except aiohttp.ClientConnectorError as exc:  # no connection, so nothing was sent
                if attempt == CONNECT_ATTEMPTS:
                    raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
                await asyncio.sleep(0.5 * 2 ** (attempt - 1))
            except asyncio.TimeoutError as exc:
                raise TimedOut from exc
            except aiohttp.ClientError as exc:
                raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable")


def _form(fields: dict[str, str] | None, files: dict[str, Any]) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in (fields or {}).items():
        form.add_field(name, value)
    for name, upload in files.items():
        if isinstance(upload, tuple):
            filename, content, *rest = upload
            content_type = rest[0] if rest else None
        else:
            filename, content, content_type = None, upload, None
        form.add_field(name, content, filename=filename, content_type=content_type)
    return form
