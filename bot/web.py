"""The bot's web server (aiohttp), served by `dukat-bord run` on DUKAT_WEB_LISTEN:DUKAT_WEB_PORT.

Feature modules put their pages on it: each is listed in `WEB_FEATURES` as "module:function", and the
function `add_routes(web_app, app)` adds its routes (imported when the server starts). The server adds
what every page needs: security headers on every response, a clear 404 page, and logs that never hold
the secret part of an address (`/cal/<secret>.ics`, `/answer/<token>`) nor who asked (no IP address).

`run` binds the port before anything else (a taken port stops it at once with a clear message, exit 1)
and serves once the channels and background services are up; connections made in between wait.
"""

from __future__ import annotations

import errno
import logging
import re
import socket
from typing import TYPE_CHECKING, Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from .catalogue import LANGUAGES
from .config import Settings
from .html import paragraphs, render
from .runner import StartFailed

if TYPE_CHECKING:
    from .app import App

log = logging.getLogger(__name__)
access_log = logging.getLogger("bot.web.access")

# Every module with pages: "module:function", the function taking (web_app, app).
WEB_FEATURES: list[str] = [
    "bot.web_feed:add_routes",  # officials' calendar feeds, /cal/<secret>.ics
    "bot.web_answers:add_routes",  # one-click answers from the officials' e-mails, /answer/<token>
    "bot.admin:add_routes",  # the web console for coordinators and officials, /admin
]

# The path segments after which everything is a secret (case-insensitive, as a mistyped address is logged
# too): calendar feeds, one-click answer links and the console's sign-in links (/admin/login/<token>).
SECRET_SEGMENTS = ("cal", "answer", "login")
_SECRET_PATH = re.compile(r"(/+(?:%s)/)[^\s\"'<>]*" % "|".join(SECRET_SEGMENTS), re.IGNORECASE)
MAX_LOGGED_PATH = 200

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",  # a secret address must not travel on in a Referer
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Server": "Dukat bord",  # instead of aiohttp's name and version
}
MAX_REQUEST_BYTES = 64 * 1024  # forms with a button, nothing uploaded
SHUTDOWN_TIMEOUT = 3.0  # seconds for requests in flight at SIGTERM (run gives everything 8)
BACKLOG = 128

STYLESHEET = """\
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.5rem; }
button { font-size: 1rem; padding: .6rem 1.2rem; border-radius: .4rem; border: 1px solid #555; cursor: pointer; }
.muted { color: #555; }
"""

RouteAdder = Callable[[web.Application, "App"], None]


def redact_paths(text: str) -> str:
    """`text` with the secret part of every address of ours replaced: `/cal/[secret]`."""
    return _SECRET_PATH.sub(r"\1[secret]", text)


def loggable_path(path: str) -> str:
    return redact_paths(path)[:MAX_LOGGED_PATH]


class SecretPathFilter(logging.Filter):
    """Takes the secret part of our addresses out of every log line, whatever library wrote it (aiohttp's
    errors quote the request line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_paths(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_paths(record.exc_text)
            record.exc_info = None
        return True


class AccessLog(AbstractAccessLogger):
    """One line per request: method, path without secrets, status, duration. No IP address, no agent."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s %.0f ms", request.method, loggable_path(request.path), response.status,
                         time * 1000)


def request_lang(request: web.BaseRequest, default: str) -> str:
    """The first of our languages the browser asks for (Accept-Language), else `default`."""
    for part in request.headers.get("Accept-Language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return default


def page(app: "App", request: web.BaseRequest, title_key: str, text: str, status: int = 200,
         lang: str | None = None) -> web.Response:
    """A plain page in the visitor's language: the catalogue text `title_key` as its title and heading, then
    `text` as paragraphs (escaped by the template)."""
    lang = lang or request_lang(request, app.settings.default_lang)
    base = urlsplit(app.settings.web_base_url()).path.rstrip("/")  # behind a proxy at a sub-path
    document = render("page.html", lang=lang, title=app.catalogue.text(lang, title_key), base=base,
                      paragraphs=paragraphs(text))
    return web.Response(text=document, content_type="text/html", charset="utf-8", status=status)


def _pages(app: "App") -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def pages(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
        """A clear page for an unknown address and for a failure (logged without the secret part)."""
        try:
            return await handler(request)
        except web.HTTPNotFound:
            lang = request_lang(request, app.settings.default_lang)
            return page(app, request, "web.not_found_title", app.catalogue.text(lang, "web.not_found_text"),
                        status=404, lang=lang)
        except web.HTTPException:
            raise
        except Exception:
            log.exception("web: %s %s failed", request.method, loggable_path(request.path))
            lang = request_lang(request, app.settings.default_lang)
            return page(app, request, "web.error_title", app.catalogue.text(lang, "web.error_text"), status=500,
                        lang=lang)

    return pages


async def _security_headers(request: web.BaseRequest, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    response.headers.setdefault("Cache-Control", "no-store")  # pages may show a meeting or carry a secret


async def _stylesheet(request: web.Request) -> web.Response:
    return web.Response(text=STYLESHEET, content_type="text/css", charset="utf-8",
                        headers={"Cache-Control": "public, max-age=86400"})


def route_adders() -> list[RouteAdder]:
    import importlib

    adders = []
    for entry in WEB_FEATURES:
        module, _, function = entry.partition(":")
        adders.append(getattr(importlib.import_module(module), function))
    return adders


def build_web_app(app: "App") -> web.Application:
    """The aiohttp application with every feature's routes (also what tests serve with TestServer)."""
    web_app = web.Application(middlewares=[_pages(app)], client_max_size=MAX_REQUEST_BYTES)
    web_app.on_response_prepare.append(_security_headers)
    web_app.router.add_get("/style.css", _stylesheet)
    for add_routes in route_adders():
        add_routes(web_app, app)
    return web_app


class WebServer:
    """The web server as `run` drives it: `bind()` first, `start()` once the rest is up, `stop()`."""

    name = "web"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sockets: list[socket.socket] = []
        self.runner: web.AppRunner | None = None

    @property
    def address(self) -> str:
        host = self.settings.web_listen
        return f"[{host}]:{self.settings.web_port}" if ":" in host else f"{host}:{self.settings.web_port}"

    def bind(self) -> None:
        """Take the port (every address DUKAT_WEB_LISTEN names); StartFailed when it cannot be had."""
        try:
            found = socket.getaddrinfo(self.settings.web_listen, self.settings.web_port, type=socket.SOCK_STREAM,
                                       flags=socket.AI_PASSIVE)
        except socket.gaierror as exc:
            raise StartFailed("web.cannot_listen", address=self.address, error=exc.strerror) from None
        for family, kind, proto, _, where in dict.fromkeys(found):
            sock = socket.socket(family, kind, proto)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(where)
                sock.listen(BACKLOG)  # from now on connections wait in the queue until start()
                sock.setblocking(False)
            except OSError as exc:
                sock.close()
                self.close()
                key = "web.port_in_use" if exc.errno == errno.EADDRINUSE else "web.cannot_listen"
                raise StartFailed(key, address=self.address, error=exc.strerror or type(exc).__name__) from None
            self.sockets.append(sock)

    async def start(self, app: "App") -> None:
        """Serve `app`'s pages on the bound port (binding it now if `bind()` was not called)."""
        if not self.sockets:
            self.bind()
        self.runner = web.AppRunner(build_web_app(app), access_log_class=AccessLog, access_log=access_log,
                                    shutdown_timeout=SHUTDOWN_TIMEOUT)
        await self.runner.setup()
        for sock in self.sockets:
            await web.SockSite(self.runner, sock, backlog=BACKLOG).start()
        log.info("web: serving on %s; links point to %s", self.address, self.settings.web_base_url())

    async def stop(self) -> None:
        """Stop taking requests, finish those in flight, free the port."""
        if self.runner is not None:
            runner, self.runner = self.runner, None
            await runner.cleanup()
        self.close()

    def close(self) -> None:
        """Free the port if it was bound but never served (a start that failed later on)."""
        for sock in self.sockets:
            sock.close()
        self.sockets = []

