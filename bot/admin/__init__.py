"""The web console for coordinators and officials, under /admin on the bot's web server (bot/web.py).

Every page is behind sign-in (bot/admin/sessions.py) and declares who may see it with `@requires(...)`;
a route without that declaration is refused (deny by default). Every form carries the session's CSRF token
and every POST is checked against it before its handler runs. Pages are Jinja2 templates (autoescaped) in
bot/admin/templates, every text from the catalogue (bot/locales/*/admin*.yaml) in the user's chat language.

Page modules are listed in `ADMIN_PAGES` ("module:function", the function taking (admin_app, app)); each
works through the same services as the chat commands, so chat and web cannot disagree.
"""

from __future__ import annotations

import functools
import importlib
import importlib.resources
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from ..catalogue import LANGUAGES
from ..roles import COORDINATOR, OFFICIAL
from ..html import templates
from ..web import request_lang
from .sessions import SESSION_IDLE, WebLogins, WebSession

if TYPE_CHECKING:
    from ..app import App

PREFIX = "/admin"
COOKIE = "dukat_console"
APP_KEY = web.AppKey("dukat_app", object)
LOGINS_KEY = web.AppKey("dukat_logins", WebLogins)
CONSOLE_KEY = web.AppKey("dukat_console", web.Application)  # on the server's app: the console sub-app

# Pages added by modules: "module:function", the function taking (admin_app, app).
ADMIN_PAGES: list[str] = [
    "bot.admin.faq:add_routes",
    "bot.admin.guide:add_routes",
    "bot.admin.questions:add_routes",
    "bot.admin.report:add_routes",
    "bot.admin.officials:add_routes",
    "bot.admin.meetings:add_routes",
    "bot.admin.me:add_routes",
]

# Sign-in attempts per client per minute, and for everyone together (a guessed link is 256 bits; this keeps
# the endpoint from being a cheap way to load the server).
LOGIN_LIMIT_PER_CLIENT = 10
LOGIN_LIMIT_TOTAL = 100
LOGIN_WINDOW = 60.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class ConsoleUser:
    """Who is signed in: their chat address, their roles now, the session (its CSRF token) and language."""

    address: str
    roles: frozenset[str]
    session: WebSession
    lang: str

    @property
    def is_coordinator(self) -> bool:
        return COORDINATOR in self.roles

    @property
    def is_official(self) -> bool:
        return OFFICIAL in self.roles


# The signed-in user on the request (aiohttp 3.13+ wants typed keys for its request storage).
USER_KEY: Any = web.RequestKey("console_user", ConsoleUser) if hasattr(web, "RequestKey") else "console_user"


def current_user(request: web.Request) -> ConsoleUser | None:
    return request.get(USER_KEY)


def the_app(request: web.Request) -> "App":
    return request.config_dict[APP_KEY]  # type: ignore[return-value]


def base_path(app: "App") -> str:
    """The path the console lives under, behind a proxy at a sub-path too (from DUKAT_PUBLIC_URL)."""
    return urlsplit(app.settings.web_base_url()).path.rstrip("/") + PREFIX


def url(request: web.Request, path: str = "") -> str:
    """A link inside the console: `url(request, "/faq")`."""
    return base_path(the_app(request)) + path


def requires(*roles: str) -> Callable[[Handler], Handler]:
    """The page is for users with one of `roles`: no session gives the sign-in page (401), a session without
    any of the roles a 403 page."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(*args: Any) -> web.StreamResponse:  # (request) or, for a method, (self, request)
            request: web.Request = args[-1]
            user = current_user(request)
            if user is None:
                return sign_in_needed(request)
            if not user.roles.intersection(roles):
                return refused(request, "admin.forbidden_text")
            return await handler(*args)

        checked.console_roles = roles  # type: ignore[attr-defined]
        return checked

    return wrap


def public(handler: Handler) -> Handler:
    """A page anyone may open (sign-in, the stylesheet)."""
    handler.console_public = True  # type: ignore[attr-defined]
    return handler


def texts(app: "App", lang: str) -> Callable[..., str]:
    def t(key: str, /, **params: Any) -> str:
        return app.catalogue.text(lang, key, **params)

    return t


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """The page `template` with what every page needs: `t` (the catalogue in the user's language), `user`,
    `csrf`, `base` (the console's path) and `lang`."""
    app = the_app(request)
    user: ConsoleUser | None = current_user(request)
    lang = user.lang if user else request_lang(request, app.settings.default_lang)
    html = templates.get_template(template).render(
        t=texts(app, lang), user=user, csrf=user.session.csrf if user else "", base=base_path(app), lang=lang,
        path=request.path, **context,
    )
    return web.Response(text=html, content_type="text/html", charset="utf-8", status=status)


def sign_in_needed(request: web.Request) -> web.Response:
    return render(request, "signin.html", status=401)


def refused(request: web.Request, text_key: str, status: int = 403) -> web.Response:
    return render(request, "message.html", status=status, title_key="admin.forbidden_title", text_key=text_key)


def see_other(request: web.Request, path: str) -> web.HTTPSeeOther:
    """Raise it after a form is handled: the browser goes to `path` in the console (post/redirect/get)."""
    return web.HTTPSeeOther(url(request, path))


async def form(request: web.Request) -> dict[str, str]:
    """The posted form as single values (the last one of a repeated name); see `form_lists` for lists."""
    posted = await request.post()
    return {key: str(value) for key, value in posted.items() if isinstance(value, str)}


async def form_lists(request: web.Request, name: str) -> list[str]:
    posted = await request.post()
    return [str(value) for value in posted.getall(name, []) if isinstance(value, str)]


async def _user_lang(app: "App", address: str, request: web.Request) -> str:
    row = await app.db.fetchone("SELECT lang FROM users WHERE address = ?", (address,))
    if row is not None and row["lang"] in LANGUAGES:
        return row["lang"]
    return request_lang(request, app.settings.default_lang)


def _console_middleware(app: "App") -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def console(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Finds the session and its user; refuses a POST without the session's CSRF token; refuses a route
        that declares neither `requires` nor `public`."""
        logins: WebLogins = request.config_dict[LOGINS_KEY]
        route_handler = request.match_info.handler
        session = await logins.session(request.cookies.get(COOKIE))
        if session is not None:
            roles = frozenset(await app.roles.roles_of(session.address)) & {COORDINATOR, OFFICIAL}
            request[USER_KEY] = ConsoleUser(session.address, roles, session,
                                                  await _user_lang(app, session.address, request))
        if getattr(route_handler, "console_public", False):
            return await handler(request)
        if not hasattr(route_handler, "console_roles"):
            if request.match_info.http_exception is not None:
                raise request.match_info.http_exception  # 404 / 405 as everywhere on the server
            return refused(request, "admin.forbidden_text")
        if session is None:
            return sign_in_needed(request)
        if request.method not in ("GET", "HEAD"):
            token = request.headers.get("X-CSRF-Token") or (await form(request)).get("csrf")
            if not session.csrf_ok(token):
                return refused(request, "admin.csrf_text")
        return await handler(request)

    return console


class RateLimit:
    """At most `per_client` requests per client and `total` for everyone in `window` seconds (in memory)."""

    def __init__(self, per_client: int, total: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_client, self.total, self.window, self.clock = per_client, total, window, clock
        self.seen: dict[str, deque[float]] = {}
        self.everyone: deque[float] = deque()

    def allow(self, client: str) -> bool:
        now = self.clock()
        for stamps in (self.everyone, self.seen.setdefault(client, deque())):
            while stamps and stamps[0] <= now - self.window:
                stamps.popleft()
        if len(self.everyone) >= self.total or len(self.seen[client]) >= self.per_client:
            return False
        self.everyone.append(now)
        self.seen[client].append(now)
        if len(self.seen) > 10_000:  # forget clients that have gone quiet
            self.seen = {key: value for key, value in self.seen.items() if value}
        return True


class SignIn:
    def __init__(self, app: "App", logins: WebLogins) -> None:
        self.app = app
        self.logins = logins
        self.limit = RateLimit(LOGIN_LIMIT_PER_CLIENT, LOGIN_LIMIT_TOTAL, LOGIN_WINDOW)

    def _limited(self, request: web.Request) -> web.Response | None:
        if self.limit.allow(request.remote or "?"):
            return None
        response = render(request, "message.html", status=429, title_key="admin.slow_down_title",
                          text_key="admin.slow_down_text")
        response.headers["Retry-After"] = str(int(LOGIN_WINDOW))
        return response

    @public
    async def show(self, request: web.Request) -> web.StreamResponse:
        """The link opened: a button to sign in (opening alone uses nothing: chat previews open links too)."""
        limited = self._limited(request)
        if limited:
            return limited
        if not await self.logins.link_is_valid(request.match_info["token"]):
            return render(request, "message.html", status=400, title_key="admin.link_bad_title",
                          text_key="admin.link_bad_text")
        return render(request, "login.html")

    @public
    async def sign_in(self, request: web.Request) -> web.StreamResponse:
        limited = self._limited(request)
        if limited:
            return limited
        redeemed = await self.logins.redeem(request.match_info["token"])
        if redeemed is None:
            return render(request, "message.html", status=400, title_key="admin.link_bad_title",
                          text_key="admin.link_bad_text")
        session_id, _ = redeemed
        response = web.Response(status=303, headers={"Location": base_path(self.app) + "/"})
        secure = self.app.settings.web_base_url().startswith("https://")
        response.set_cookie(COOKIE, session_id, path=base_path(self.app) or "/", httponly=True, samesite="Strict",
                            secure=secure, max_age=int(SESSION_IDLE.total_seconds()))
        return response

    @requires(COORDINATOR, OFFICIAL)
    async def sign_out(self, request: web.Request) -> web.StreamResponse:
        user = current_user(request)
        assert user is not None
        await self.logins.end(user.session)
        request.pop(USER_KEY)
        response = render(request, "message.html", title_key="admin.signed_out_title", text_key="admin.signed_out_text")
        response.del_cookie(COOKIE, path=base_path(self.app) or "/")
        return response


@requires(COORDINATOR, OFFICIAL)
async def home(request: web.Request) -> web.StreamResponse:
    """Coordinators get the overview; an official goes to their own page."""
    user = current_user(request)
    if user is None or not user.is_coordinator:
        raise see_other(request, "/me")
    return render(request, "home.html")


@public
async def stylesheet(request: web.Request) -> web.StreamResponse:
    css = (importlib.resources.files("bot") / "admin" / "templates" / "console.css").read_text(encoding="utf-8")
    return web.Response(text=css, content_type="text/css", charset="utf-8",
                        headers={"Cache-Control": "public, max-age=3600"})


def page_adders() -> list[Callable[[web.Application, "App"], None]]:
    adders = []
    for entry in ADMIN_PAGES:
        module, _, function = entry.partition(":")
        adders.append(getattr(importlib.import_module(module), function))
    return adders


def add_routes(web_app: web.Application, app: "App") -> None:
    """The console as a sub-application at /admin (its own middleware: sessions, roles, CSRF)."""
    admin = web.Application(middlewares=[_console_middleware(app)])
    logins = WebLogins(app.db, app.clock)
    admin[APP_KEY] = app
    admin[LOGINS_KEY] = logins
    sign_in = SignIn(app, logins)
    admin.router.add_get("/login/{token}", sign_in.show)
    admin.router.add_post("/login/{token}", sign_in.sign_in)
    admin.router.add_post("/logout", sign_in.sign_out)
    admin.router.add_get("/console.css", stylesheet)
    admin.router.add_get("/", home)
    for add in page_adders():
        add(admin, app)
    web_app.add_subapp(PREFIX, admin)
    web_app[CONSOLE_KEY] = admin

    async def to_console(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently(base_path(app) + "/")

    web_app.router.add_get(PREFIX, to_console)


async def sign_in_link(app: "App", address: str) -> str:
    """A one-time sign-in link for `address` (15 minutes), to print or to send in the chat."""
    token = await WebLogins(app.db, app.clock).create_link_token(address)
    return f"{app.settings.web_base_url()}{PREFIX}/login/{token}"
