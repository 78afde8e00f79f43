"""A fake Telegram Bot API server (aiohttp, 127.0.0.1, a free port) for tests and benchmarks.

It speaks the Bot API over real HTTP, as python-telegram-bot sees it with `base_url` set to
`FakeBotApi.base_url`: form fields (non-string values JSON-encoded), JSON bodies and multipart uploads.
It keeps chats and messages so edits and button presses refer to real message ids, validates what
Telegram validates for us (HTML entities, 4096-character texts, 64-byte callback data), records every
call, lets tests inject updates (messages, commands, button presses) and faults (403 for a chat,
429 with retry_after, an update delivered twice).

All methods must be called on the server's event loop.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import ClientSession, ClientTimeout, web

TOKEN = "4839574812:AAFakeTokenForTestsOnly_x9QvR2mZk7LwT"
BOT_ID = int(TOKEN.split(":", 1)[0])
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Dukat bord", "username": "dukat_bord_test_bot",
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler", "span",
             "blockquote", "tg-emoji"}
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")
# Parameters that are plain strings in form bodies; everything else was JSON-encoded by the client.
STRING_FIELDS = {"text", "caption", "callback_query_id", "url", "secret_token", "parse_mode", "language_code",
                 "ip_address", "inline_message_id", "description", "short_description", "name", "message_thread_id"}
SENDING = {"sendmessage", "senddocument", "editmessagetext", "editmessagereplymarkup", "sendphoto", "sendchataction"}


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


@dataclass
class Upload:
    filename: str
    content: bytes
    content_type: str


@dataclass
class Call:
    """One request the bot made. `status` is the HTTP status the fake answered with."""

    method: str  # as the Bot API spells it, e.g. "sendMessage"
    params: dict[str, Any]
    files: dict[str, Upload]
    at: float  # time.perf_counter() when the request arrived
    status: int = 0  # 0 while the fake is still working on it (a long poll), then the HTTP status
    result: Any = None

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if isinstance(value, (int, str)) and str(value).lstrip("-").isdigit() else None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def visible_text(self) -> str:
        """The text the user sees: HTML tags removed, entities resolved."""
        raw = self.params.get("text") or self.params.get("caption") or ""
        if self.params.get("parse_mode", "").upper() == "HTML":
            return html.unescape(_TAG.sub("", raw))
        return raw

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of the inline keyboard sent with this call, row by row."""
        markup = self.params.get("reply_markup") or {}
        return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class _Flood:
    retry_after: int
    method: str | None
    chat_id: int | None
    remaining: int


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    task: asyncio.Task | None = None


@dataclass
class FakeBotApi:
    token: str = TOKEN
    port: int = 0
    calls: list[Call] = field(default_factory=list)
    # Observers: called with every recorded Call (benchmarks timestamp replies with them).
    on_call: list[Callable[[Call], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._pending: list[dict[str, Any]] = []
        self._duplicates: list[dict[str, Any]] = []
        self._delivered: dict[int, dict[str, Any]] = {}
        self._update_ids = itertools.count(700_000_001)
        self._callback_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.forbidden: set[int] = set()
        self._floods: list[_Flood] = []
        self.webhook: _Webhook | None = None
        self.commands: dict[str, list[dict[str, str]]] = {}
        self._arrived = asyncio.Event()
        self._changed = asyncio.Event()
        self._poller: asyncio.Future | None = None
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._http: ClientSession | None = None

    # ----------------------------------------------------------------- lifecycle
    @property
    def base_url(self) -> str:
        """What TELEGRAM_BASE_URL should be: the token is appended to it."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> "FakeBotApi":
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        self._closing = True
        self._arrived.set()
        if self.webhook and self.webhook.task:
            self.webhook.task.cancel()
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> "FakeBotApi":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ----------------------------------------------------------------- injecting updates
    def user(self, user_id: int, language_code: str | None = "sv", first_name: str = "Testperson") -> dict[str, Any]:
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        return user

    def _user(self, user_id: int) -> dict[str, Any]:
        return self.users.get(user_id) or self.user(user_id)

    def _push(self, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **payload}
        self._pending.append(update)
        self._wake()
        return update

    def send_text(self, user_id: int, text: str) -> dict[str, Any]:
        """A private message from the user; a leading /command carries a bot_command entity, as Telegram sends it."""
        user = self._user(user_id)
        message = {"message_id": self._next_message_id(user_id), "date": int(time.time()), "text": text,
                   "chat": self._private_chat(user), "from": user}
        command = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
        if command:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command.group(0))}]
        self.messages[(user_id, message["message_id"])] = message
        return self._push({"message": message})

    def send_sticker(self, user_id: int) -> dict[str, Any]:
        """A private message without any text (a sticker)."""
        user = self._user(user_id)
        message = {"message_id": self._next_message_id(user_id), "date": int(time.time()),
                   "chat": self._private_chat(user), "from": user,
                   "sticker": {"file_id": "CAACAgQ", "file_unique_id": "AgAD", "type": "regular", "width": 512,
                               "height": 512, "is_animated": False, "is_video": False}}
        return self._push({"message": message})

    def send_group_text(self, user_id: int, group_id: int, text: str) -> dict[str, Any]:
        user = self._user(user_id)
        message = {"message_id": self._next_message_id(group_id), "date": int(time.time()), "text": text,
                   "chat": {"id": group_id, "type": "group", "title": "En grupp"}, "from": user}
        return self._push({"message": message})

    def press(self, user_id: int, message_id: int, data: str) -> dict[str, Any]:
        """The user presses the inline button with `data` under the bot's message `message_id`."""
        message = self.messages[(user_id, message_id)]
        datas = [b.get("callback_data") for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
                 for b in row]
        if data not in datas:
            raise AssertionError(f"message {message_id} has no button {data!r}; it has {datas}")
        query = {"id": str(next(self._callback_ids)), "from": self._user(user_id), "message": message,
                 "chat_instance": f"ci{user_id}", "data": data}
        return self._push({"callback_query": query})

    def block(self, user_id: int) -> dict[str, Any]:
        """The user blocks the bot: from now on sends get 403, and a my_chat_member update arrives."""
        self.forbidden.add(user_id)
        user = self._user(user_id)
        return self._push({"my_chat_member": {
            "chat": self._private_chat(user), "from": user, "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": BOT_USER},
            "new_chat_member": {"status": "kicked", "user": BOT_USER, "until_date": 0},
        }})

    def unblock(self, user_id: int) -> dict[str, Any]:
        """The user restarts the bot after blocking it: sends work again, a my_chat_member update arrives."""
        self.forbidden.discard(user_id)
        user = self._user(user_id)
        return self._push({"my_chat_member": {
            "chat": self._private_chat(user), "from": user, "date": int(time.time()),
            "old_chat_member": {"status": "kicked", "user": BOT_USER, "until_date": 0},
            "new_chat_member": {"status": "member", "user": BOT_USER},
        }})

    def duplicate(self, update_id: int) -> None:
        """Deliver an already delivered update again (as Telegram does when the bot died before confirming it)."""
        self._duplicates.append(self._delivered[update_id])
        self._wake()

    # ----------------------------------------------------------------- faults
    def forbid(self, chat_id: int) -> None:
        """Every send to `chat_id` fails with 403 (the user blocked the bot)."""
        self.forbidden.add(chat_id)

    def flood(self, retry_after: int = 1, *, method: str | None = None, chat_id: int | None = None,
              times: int = 1) -> None:
        """The next `times` matching sending calls fail with 429 and `retry_after` seconds."""
        self._floods.append(_Flood(retry_after, method.lower() if method else None, chat_id, times))

    # ----------------------------------------------------------------- observing
    def sent(self, chat_id: int | None = None, since: int = 0) -> list[Call]:
        """Successful message-producing calls (send*/edit*) since call index `since`, optionally to one chat."""
        return [c for c in self.calls[since:]
                if c.ok and c.method.lower() in SENDING and c.method.lower() != "sendchataction"
                and (chat_id is None or c.chat_id == chat_id)]

    def calls_to(self, method: str, since: int = 0) -> list[Call]:
        return [c for c in self.calls[since:] if c.method.lower() == method.lower()]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait (on events, not sleeps) until predicate() is truthy; returns its value."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError("condition not reached; last calls: "
                                   + ", ".join(f"{c.method}:{c.status}" for c in self.calls[-8:]))
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def last_message_with_buttons(self, chat_id: int) -> dict[str, Any] | None:
        candidates = [m for (c, _), m in self.messages.items()
                      if c == chat_id and m.get("from", {}).get("id") == BOT_ID and m.get("reply_markup")]
        return max(candidates, key=lambda m: m["message_id"]) if candidates else None

    # ----------------------------------------------------------------- internals
    def _wake(self) -> None:
        self._arrived.set()
        self._changed.set()

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _private_chat(self, user: dict[str, Any]) -> dict[str, Any]:
        return {"id": user["id"], "type": "private", "first_name": user["first_name"]}

    async def _handle(self, request: web.Request) -> web.Response:
        call = Call(request.match_info["method"], {}, {}, time.perf_counter(), status=0)
        recorded = False
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            call.params, call.files = await _read_params(request)
            # Recorded on arrival (a long poll is visible while it waits); status 0 until answered.
            self.calls.append(call)
            recorded = True
            self._changed.set()
            call.result = await self._dispatch(call)
            call.status = 200
            body: dict[str, Any] = {"ok": True, "result": call.result}
        except ApiError as exc:
            call.status = exc.code
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
        if not recorded:
            self.calls.append(call)
        for observer in self.on_call:
            observer(call)
        self._changed.set()
        return web.json_response(body, status=call.status)

    async def _dispatch(self, call: Call) -> Any:
        name = call.method.lower()
        handler = getattr(self, f"_m_{name}", None)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        if name in SENDING:
            self._check_faults(name, call.chat_id)
        return await handler(call.params, call.files)

    def _check_faults(self, method: str, chat_id: int | None) -> None:
        for flood in self._floods:
            if flood.remaining > 0 and flood.method in (None, method) and flood.chat_id in (None, chat_id):
                flood.remaining -= 1
                raise ApiError(429, f"Too Many Requests: retry after {flood.retry_after}",
                               {"retry_after": flood.retry_after})
        if chat_id in self.forbidden:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    # Bot API methods --------------------------------------------------------
    async def _m_getme(self, p: dict, f: dict) -> Any:
        return BOT_USER

    async def _m_logout(self, p: dict, f: dict) -> Any:
        return True

    async def _m_close(self, p: dict, f: dict) -> Any:
        return True

    async def _m_getupdates(self, p: dict, f: dict) -> Any:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
                                "to delete the webhook first")
        if self._poller is not None and not self._poller.done():
            self._poller.set_result(True)  # the older long poll is answered with a conflict
        mine = self._poller = asyncio.get_running_loop().create_future()
        offset = int(p.get("offset") or 0)
        limit = int(p.get("limit") or 100)
        timeout = float(p.get("timeout") or 0)
        if offset > 0:  # confirms every update below it
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        deadline = asyncio.get_running_loop().time() + timeout
        while not self._pending and not self._duplicates and not self._closing:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            self._arrived.clear()
            waiter = asyncio.ensure_future(self._arrived.wait())
            done, _ = await asyncio.wait({waiter, mine}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if mine in done:
                raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure that only one "
                                    "bot instance is running")
        if self._poller is mine:
            self._poller = None
        batch = self._duplicates + self._pending[:limit]
        self._duplicates = []
        for update in batch:
            self._delivered[update["update_id"]] = update
        return batch

    async def _m_setwebhook(self, p: dict, f: dict) -> Any:
        if self.webhook and self.webhook.task:
            self.webhook.task.cancel()
        if p.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook = _Webhook(p["url"], p.get("secret_token"))
        self.webhook.task = asyncio.get_running_loop().create_task(self._push_to_webhook(self.webhook))
        return True

    async def _m_deletewebhook(self, p: dict, f: dict) -> Any:
        if self.webhook and self.webhook.task:
            self.webhook.task.cancel()
        self.webhook = None
        if p.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _m_getwebhookinfo(self, p: dict, f: dict) -> Any:
        return {"url": self.webhook.url if self.webhook else "", "has_custom_certificate": False,
                "pending_update_count": len(self._pending)}

    async def _m_setmycommands(self, p: dict, f: dict) -> Any:
        commands = p.get("commands")
        if not isinstance(commands, list) or not commands:
            raise ApiError(400, "Bad Request: commands must be a non-empty list")
        for c in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", c.get("command", "")) or not 1 <= len(c.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands[p.get("language_code") or ""] = commands
        return True

    async def _m_answercallbackquery(self, p: dict, f: dict) -> Any:
        if not p.get("callback_query_id"):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        return True

    async def _m_sendchataction(self, p: dict, f: dict) -> Any:
        return True

    async def _m_sendmessage(self, p: dict, f: dict) -> Any:
        chat_id = self._chat(p)
        text = _check_text(p.get("text"), p.get("parse_mode"), MAX_TEXT)
        markup = _check_markup(p.get("reply_markup"))
        message = self._bot_message(chat_id, text=text, reply_markup=markup)
        return message

    async def _m_senddocument(self, p: dict, f: dict) -> Any:
        chat_id = self._chat(p)
        document = p.get("document")
        if isinstance(document, str) and document.startswith("attach://"):
            upload = f.get(document.removeprefix("attach://"))
        else:
            upload = f.get("document")
        if upload is None:
            raise ApiError(400, "Bad Request: there is no document in the request")
        caption = _check_text(p.get("caption"), p.get("parse_mode"), 1024) if p.get("caption") else None
        doc = {"file_id": f"BQAC{len(self.calls)}", "file_unique_id": f"AgAD{len(self.calls)}",
               "file_name": upload.filename, "mime_type": upload.content_type, "file_size": len(upload.content)}
        extra: dict[str, Any] = {"document": doc}
        if caption:
            extra["caption"] = caption
        return self._bot_message(chat_id, reply_markup=_check_markup(p.get("reply_markup")), **extra)

    async def _m_editmessagetext(self, p: dict, f: dict) -> Any:
        message = self._message(p)
        text = _check_text(p.get("text"), p.get("parse_mode"), MAX_TEXT)
        markup = _check_markup(p.get("reply_markup"))
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if message["text"] == text and message.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and reply "
                                "markup are exactly the same as a current content and reply markup of the message")
        message["text"] = text
        message["edit_date"] = int(time.time())
        _set_markup(message, markup)
        return message

    async def _m_editmessagereplymarkup(self, p: dict, f: dict) -> Any:
        message = self._message(p)
        markup = _check_markup(p.get("reply_markup"))
        if message.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified")
        _set_markup(message, markup)
        message["edit_date"] = int(time.time())
        return message

    def _chat(self, p: dict) -> int:
        chat_id = p.get("chat_id")
        try:
            return int(chat_id)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None

    def _message(self, p: dict) -> dict[str, Any]:
        key = (self._chat(p), int(p.get("message_id") or 0))
        if key not in self.messages:
            raise ApiError(400, "Bad Request: message to edit not found")
        return self.messages[key]

    def _bot_message(self, chat_id: int, reply_markup: dict | None = None, **content: Any) -> dict[str, Any]:
        user = self.users.get(chat_id)
        chat = self._private_chat(user) if user else {"id": chat_id, "type": "private", "first_name": "?"}
        message = {"message_id": self._next_message_id(chat_id), "date": int(time.time()), "chat": chat,
                   "from": BOT_USER, **content}
        _set_markup(message, reply_markup)
        self.messages[(chat_id, message["message_id"])] = message
        return message

    async def _push_to_webhook(self, hook: _Webhook) -> None:
        """Deliver pending updates to the webhook one by one, as Telegram does; keep them until answered 200."""
        if self._http is None:
            self._http = ClientSession(timeout=ClientTimeout(total=10))
        while not self._closing:
            if not self._pending and not self._duplicates:
                self._arrived.clear()
                await self._arrived.wait()
                continue
            update = (self._duplicates or self._pending)[0]
            headers = {"X-Telegram-Bot-Api-Secret-Token": hook.secret_token} if hook.secret_token else {}
            try:
                async with self._http.post(hook.url, json=update, headers=headers) as response:
                    ok = response.status == 200
            except Exception:
                ok = False
            if ok:
                for queue in (self._duplicates, self._pending):
                    if queue and queue[0] is update:
                        queue.pop(0)
                        break
                self._delivered[update["update_id"]] = update
                self._changed.set()
            else:
                await asyncio.sleep(0.05)

    async def post_to_webhook(self, update: dict[str, Any], secret: str | None) -> int:
        """Post an update to the bot's webhook with the given secret header; returns the HTTP status."""
        assert self.webhook is not None
        if self._http is None:
            self._http = ClientSession(timeout=ClientTimeout(total=10))
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        async with self._http.post(self.webhook.url, json=update, headers=headers) as response:
            return response.status


def _set_markup(message: dict[str, Any], markup: dict | None) -> None:
    if markup and markup.get("inline_keyboard"):
        message["reply_markup"] = markup
    else:
        message.pop("reply_markup", None)


def _check_text(text: Any, parse_mode: Any, limit: int) -> str:
    """What Telegram checks: a non-empty text, valid HTML when parse_mode is HTML, the length after parsing."""
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    visible = text
    if isinstance(parse_mode, str) and parse_mode.upper() == "HTML":
        stack: list[str] = []
        for m in _TAG.finditer(text):
            closing, tag = m.group(1) == "/", m.group(2).lower()
            if tag not in HTML_TAGS:
                raise ApiError(400, f"Bad Request: can't parse entities: unsupported start tag \"{tag}\"")
            if closing:
                if not stack or stack.pop() != tag:
                    raise ApiError(400, f"Bad Request: can't parse entities: unexpected end tag \"{tag}\"")
            else:
                stack.append(tag)
        if stack:
            raise ApiError(400, f"Bad Request: can't parse entities: can't find end tag corresponding to \"{stack[-1]}\"")
        stripped = _ENTITY.sub("", _TAG.sub("", text))
        if re.search(r"[<>&]", stripped):
            raise ApiError(400, "Bad Request: can't parse entities: unescaped <, > or & in the text")
        visible = html.unescape(_TAG.sub("", text))
    if len(visible) > limit:
        raise ApiError(400, "Bad Request: message is too long")
    return text


def _check_markup(markup: Any) -> dict | None:
    if markup is None:
        return None
    if not isinstance(markup, dict) or not isinstance(markup.get("inline_keyboard"), list):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup["inline_keyboard"]:
        for button in row:
            if not button.get("text"):
                raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Query string, then a JSON body, urlencoded form or multipart form (files kept apart)."""
    params: dict[str, Any] = {k: _decode(k, v) for k, v in request.query.items()}
    files: dict[str, Upload] = {}
    ctype = request.content_type
    if ctype == "application/json":
        body = await request.read()
        if body:
            params.update(json.loads(body))
    elif ctype == "application/x-www-form-urlencoded":
        for key, value in (await request.post()).items():
            params[key] = _decode(key, str(value))
    elif ctype.startswith("multipart/"):
        reader = await request.multipart()
        async for part in reader:
            if part.filename is not None:
                files[part.name] = Upload(part.filename, await part.read(),
                                          part.headers.get("Content-Type", "application/octet-stream"))
            else:
                params[part.name] = _decode(part.name, await part.text())
    return params, files


def _decode(key: str, value: str) -> Any:
    if key in STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
