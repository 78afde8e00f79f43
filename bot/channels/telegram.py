"""Telegram channel on python-telegram-bot v22: updates become `Incoming`, engine `Reply`s become messages.

It translates and transports, nothing else: the engine decides what to say. Private chats only.
Long polling by default, a webhook when TELEGRAM_WEBHOOK_URL is set. Updates are handled
concurrently, one user's in the order they arrived; an update Telegram delivers twice is handled once
(ids are claimed in the database, see `telegram_store`). Outgoing calls go through a rate limiter that
keeps to Telegram's published limits and honours RetryAfter.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import secrets
import traceback
import warnings
from contextlib import suppress
from datetime import timedelta
from functools import partial
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit

from aiolimiter import AsyncLimiter
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationHandlerStop,
    BaseRateLimiter,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from ..keyed_locks import KeyedLocks
from ..messages import Incoming, Reply
from ..notify import Undeliverable
from ..runner import StartFailed
from .telegram_http import AiohttpRequest
from .telegram_store import UpdateLog

log = logging.getLogger(__name__)

PREFIX = "tg"
# Registered with setMyCommands; the engine answers them (a command is forwarded as its text).
COMMANDS = ("start", "help", "guide", "boka", "mina", "avboka", "sprak", "integritet")
COMMAND_LANGUAGES = ("sv", "en")  # the first is the default list, the others per language_code
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH
RETRY_AFTER_ATTEMPTS = 4  # own RetryAfter handling, used when the rate limiter is off
NETWORK_ATTEMPTS = 3  # notifications only: a reply to a message the user just sent is not worth repeating
CONCURRENT_USERS = 128
# A pause between two getUpdates calls. Under load each call then brings the updates of that pause
# together instead of one by one: at 200 messages a second the bot's CPU per message went from about
# 3.3 ms to 2.7 ms and reply latency p99 from 8–80 ms (varying run to run) to 35–58 ms, for about 20 ms
# more at p50 (bench/telegram_e2e.py). An update that arrives while the bot waits in the long poll
# still comes at once; only one that arrives during a pause waits, at most 20 ms.
POLL_INTERVAL = 0.02

# Telegram answers sendMessage and editMessageText with the whole message. Nothing here reads it, and
# turning it into a Message object took a ninth of the bot's CPU (bench/telegram_e2e.py), so these two
# go through do_api_request, which returns the answer as it came. PTB warns that it has methods for
# them; that is known (`_text_call`).
TEXT_DEFAULTS = {"parse_mode": ParseMode.HTML, "link_preview_options": LinkPreviewOptions(is_disabled=True)}
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.(sendMessage|editMessageText)'", category=PTBUserWarning)

# Pseudonyms in logs: a keyed hash with a key that lives only as long as the process.
_LOG_KEY = secrets.token_bytes(16)


def address_of(user_id: int) -> str:
    return f"{PREFIX}:{user_id}"


def chat_id_of(address: str) -> int:
    prefix, _, rest = address.partition(":")
    if prefix != PREFIX or not rest.lstrip("-").isdigit():
        raise ValueError(f"not a Telegram address: {prefix}:…")
    return int(rest)


def pseudonym(user_id: int | None) -> str:
    """A short stable-per-process tag for a user in logs; not reversible to the Telegram id."""
    if user_id is None:
        return "-"
    return hashlib.blake2b(str(user_id).encode(), key=_LOG_KEY, digest_size=4).hexdigest()


def html_chunks(text: str, limit: int = MAX_TEXT) -> list[str]:
    """The plain `text` escaped for HTML parse mode, cut at paragraph, line or word breaks so that each
    part fits `limit` characters as Telegram counts them (after entity parsing)."""
    text = text.strip()
    if not text:
        return []
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        candidate = piece if not current else f"{current}{piece}"
        if len(candidate.strip()) <= limit:
            current = candidate
            continue
        if current.strip():
            chunks.append(current.strip())
        current = piece
    if current.strip():
        chunks.append(current.strip())
    return [html.escape(c, quote=False) for c in chunks]


def _pieces(text: str, limit: int) -> list[str]:
    """Split into pieces no longer than `limit`, keeping the separators, preferring the largest breaks."""
    for sep in ("\n\n", "\n", " "):
        if len(text) <= limit:
            return [text]
        parts = text.split(sep)
        if len(parts) > 1:
            out: list[str] = []
            for i, part in enumerate(parts):
                piece = part + (sep if i < len(parts) - 1 else "")
                out.extend(_pieces(piece, limit) if len(piece) > limit else [piece])
            return out
    return [text[i:i + limit] for i in range(0, len(text), limit)]


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.payload) for b in row] for row in reply.buttons if row]
    )


def incoming_from(update: Update) -> Incoming | None:
    """The engine's view of a private message or a button press; None for anything else."""
    user = update.effective_user
    if user is None:
        return None
    if update.callback_query is not None:
        if update.callback_query.data is None:
            return None
        return Incoming(address_of(user.id), payload=update.callback_query.data, lang_hint=user.language_code)
    message = update.message
    if message is None:
        return None
    text = message.text if message.text is not None else message.caption
    return Incoming(address_of(user.id), text=text, lang_hint=user.language_code)


def quiet_library_logs() -> None:
    """httpx logs every request URL at INFO, and the URL holds the token; PTB logs whole updates (texts,
    names) at DEBUG. Neither belongs in our logs, whatever level the process runs at."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    ptb = logging.getLogger("telegram")
    if ptb.getEffectiveLevel() < logging.INFO:
        ptb.setLevel(logging.INFO)


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns while it moves retry_after from int to timedelta
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class PerUserOrder(BaseUpdateProcessor):
    """Updates of different users run concurrently; one user's run one at a time, in arrival order.

    PTB's own semaphore is kept wide because a user's waiting updates would otherwise hold its slots;
    the number of updates actually running is bounded after the per-user lock instead.
    """

    def __init__(self, running: int = CONCURRENT_USERS) -> None:
        super().__init__(max_concurrent_updates=1_000_000)
        self._running = asyncio.Semaphore(running)
        self._locks: KeyedLocks[int] = KeyedLocks()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            async with self._running:
                await coroutine
            return
        async with self._locks.hold(user.id), self._running:
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""


class TelegramRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter with Telegram's published limits, plus a pace per private chat.

    Overall and per group the calls are evenly spaced (one every 1/30 s, one every 3 s per group), so no
    window of a second or a minute ever holds more than the limit; AIORateLimiter's own buckets would
    allow a full second's worth as a burst on top. A private chat gets a burst of `chat_burst`
    messages (a turn often has two), then one a second. RetryAfter is retried `max_retries` times,
    pausing every call meanwhile.
    """

    def __init__(self, chat_burst: int = 3, max_retries: int = 3, per_second: float = 30,
                 per_group_minute: float = 20) -> None:
        super().__init__(overall_max_rate=1, overall_time_period=1 / per_second, group_max_rate=1,
                         group_time_period=60 / per_group_minute, max_retries=max_retries)
        self._chat_burst = chat_burst
        self._chat_limiters: dict[int, AsyncLimiter] = {}

    def _chat_limiter(self, chat_id: Any) -> AsyncLimiter | None:
        if not self._chat_burst or not isinstance(chat_id, int) or chat_id < 0:
            return None  # groups and channels are paced by AIORateLimiter itself
        if len(self._chat_limiters) > 1024:
            for key, limiter in list(self._chat_limiters.items()):
                if limiter.has_capacity(limiter.max_rate):
                    del self._chat_limiters[key]
        limiter = self._chat_limiters.get(chat_id)
        if limiter is None:
            limiter = self._chat_limiters[chat_id] = AsyncLimiter(self._chat_burst, self._chat_burst)
        return limiter

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):  # type: ignore[override]
        chat_id = data.get("chat_id")
        with suppress(TypeError, ValueError):
            chat_id = int(chat_id)
        limiter = self._chat_limiter(chat_id)
        if limiter is None:
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        async with limiter:
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)


def _request(pool_size: int) -> AiohttpRequest:
    return AiohttpRequest(connection_pool_size=pool_size, pool_timeout=10.0)


def _file_url(base_url: str) -> str:
    """A local Bot API server serves files next to the methods: `…/bot` -> `…/file/bot`."""
    root, sep, _ = base_url.rstrip("/").rpartition("/bot")
    return f"{root}/file/bot" if sep else base_url


class TelegramChannel:
    """One bot account, started and stopped by the runner (`start()` / `stop()`)."""

    name = "telegram"

    def __init__(self, app, *, rate_limiter: BaseRateLimiter | bool = True, poll_timeout: float = 10.0,
                 poll_interval: float = POLL_INTERVAL) -> None:
        settings = app.settings
        if not settings.telegram_token:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        quiet_library_logs()  # before the builder: PTB logs the Bot API URL, token included, at DEBUG
        self.app = app
        self.settings = settings
        self.poll_timeout = poll_timeout
        self.poll_interval = poll_interval
        self.updates = UpdateLog(app.db, app.clock)
        self.webhook_secret = settings.telegram_webhook_secret or secrets.token_urlsafe(32)
        if rate_limiter is True:
            rate_limiter = TelegramRateLimiter()
        self.rate_limiter: BaseRateLimiter | None = rate_limiter or None

        builder = (
            Application.builder()
            .token(settings.telegram_token)
            .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
            .concurrent_updates(PerUserOrder())
            .request(_request(256))
            .get_updates_request(_request(2))
            .job_queue(None)  # reminders run in the process-wide scheduler, not inside one channel
            .post_init(self._post_init)
        )
        if settings.telegram_base_url:
            builder = builder.base_url(settings.telegram_base_url).base_file_url(_file_url(settings.telegram_base_url))
        if self.rate_limiter is not None:
            builder = builder.rate_limiter(self.rate_limiter)
        self.application = builder.build()
        self.application.add_handler(TypeHandler(Update, self._once), group=-1)
        self.application.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, self._on_message))
        self.application.add_handler(CallbackQueryHandler(self._on_button))
        self.application.add_handler(ChatMemberHandler(self._on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
        self.application.add_error_handler(self._on_error)

    @property
    def bot(self):
        return self.application.bot

    @property
    def api_host(self) -> str:
        return urlsplit(self.settings.telegram_base_url or "https://api.telegram.org").netloc

    @property
    def webhook(self) -> bool:
        return bool(self.settings.telegram_webhook_url)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Connect (getMe), announce the commands, then poll or serve the webhook."""
        quiet_library_logs()
        application = self.application
        try:
            await application.initialize()
        except InvalidToken:  # its message contains the token: never show or log it
            raise StartFailed("run.telegram_token_rejected") from None
        except NetworkError as exc:
            raise StartFailed("run.telegram_unreachable", url=self.api_host, error=type(exc).__name__) from None
        await self.updates.prune()
        # run_polling()/run_webhook() would call post_init; this process runs several channels on one
        # loop and so drives the application's lifecycle itself.
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        updater = application.updater
        assert updater is not None
        if self.webhook:
            url = self.settings.telegram_webhook_url or ""
            await updater.start_webhook(
                listen=self.settings.telegram_webhook_listen,
                port=self.settings.telegram_webhook_port,
                url_path=urlsplit(url).path or "/",
                webhook_url=url,
                secret_token=self.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
                bootstrap_retries=3,
            )
        else:
            await updater.start_polling(
                timeout=self.poll_timeout,
                poll_interval=self.poll_interval,
                allowed_updates=ALLOWED_UPDATES,
                bootstrap_retries=3,
                error_callback=self._on_polling_error,
            )
        self.app.notifier.register(PREFIX, self.deliver)
        log.info("telegram: running as @%s (%s)", self.bot.username, "webhook" if self.webhook else "long polling")

    async def stop(self) -> None:
        """Stop fetching, finish the updates already fetched, close the connections."""
        self.app.notifier.unregister(PREFIX)
        application = self.application
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()

    async def _post_init(self, application: Application) -> None:
        catalogue = self.app.catalogue
        for i, lang in enumerate(COMMAND_LANGUAGES):
            commands = [BotCommand(c, catalogue.text(lang, f"telegram.command_{c}")) for c in COMMANDS]
            try:
                await application.bot.set_my_commands(commands, language_code=None if i == 0 else lang)
            except TelegramError as exc:  # the menu is a convenience: never a reason not to start
                log.warning("telegram: setMyCommands (%s) failed: %s", lang, type(exc).__name__)

    # ------------------------------------------------------------------ handlers
    async def _once(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self.updates.claim(self.bot.id, update.update_id):
            log.info("telegram: update %d was delivered again; skipped", update.update_id)
            raise ApplicationHandlerStop

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        incoming = incoming_from(update)
        message = update.message
        if incoming is None or message is None:
            return
        if incoming.text is None:  # a sticker, photo without caption, voice message …
            lang = await self._lang(incoming)
            replies = [Reply(self.app.catalogue.text(lang, "telegram.text_only"))]
        else:
            replies = await self.app.engine.handle(incoming)
        await self._reply(message.chat_id, incoming.address, replies)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        with suppress(TelegramError):  # stop the button's spinner first; an expired query is harmless
            await query.answer()
        incoming = incoming_from(update)
        if incoming is None:
            return
        replies = await self.app.engine.handle(incoming)
        pressed = query.message if isinstance(query.message, Message) else None
        chat_id = query.message.chat.id if query.message is not None else query.from_user.id
        await self._reply(chat_id, incoming.address, replies, pressed=pressed)

    async def _on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change is None or change.chat.type != "private":
            return
        if change.new_chat_member.status == ChatMemberStatus.BANNED:  # the user blocked the bot
            await self.app.users.mark_undeliverable(address_of(change.chat.id))
        elif change.new_chat_member.status == ChatMemberStatus.MEMBER:  # … and restarted it
            await self.app.users.mark_undeliverable(address_of(change.chat.id), False)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log what failed and where, never message text, names or raw ids; the application carries on."""
        error = context.error
        user = update.effective_user if isinstance(update, Update) else None
        kind = "button" if isinstance(update, Update) and update.callback_query else "message"
        if isinstance(error, (NetworkError, RetryAfter)) and not isinstance(error, BadRequest):
            log.warning("telegram: %s while answering a %s from user %s", type(error).__name__, kind,
                        pseudonym(user.id if user else None))
            return
        frames = "".join(traceback.format_tb(error.__traceback__)) if error else ""
        log.error("telegram: %s while handling a %s from user %s\n%s", type(error).__name__, kind,
                  pseudonym(user.id if user else None), frames.rstrip())

    def _on_polling_error(self, error: TelegramError) -> None:
        # PTB retries polling by itself (with back-off); one line per failure is enough.
        log.warning("telegram: polling failed (%s); retrying", type(error).__name__)

    async def _lang(self, incoming: Incoming) -> str:
        known = await self.app.users.lang_of(incoming.address)
        if known:
            return known
        hint = (incoming.lang_hint or "")[:2].lower()
        return hint if hint in COMMAND_LANGUAGES else self.settings.default_lang

    # ------------------------------------------------------------------ sending
    async def deliver(self, address: str, replies: list[Reply]) -> None:
        """Notifier delivery: send to any tg: address. Raises Undeliverable when the user cannot be reached."""
        await self._send(chat_id_of(address), replies, network_attempts=NETWORK_ATTEMPTS)

    async def _reply(self, chat_id: int, address: str, replies: list[Reply], pressed: Message | None = None) -> None:
        try:
            await self._send(chat_id, replies, pressed=pressed)
        except Undeliverable:
            await self.app.users.mark_undeliverable(address)

    async def _send(self, chat_id: int, replies: list[Reply], pressed: Message | None = None,
                    network_attempts: int = 1) -> None:
        """Send replies in order. The first one edits the pressed message when it asks to replace it."""

        async def call(method: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
            return await self._call(method, network_attempts=network_attempts, **kwargs)

        try:
            for i, reply in enumerate(replies):
                chunks = html_chunks(reply.text)
                markup = keyboard(reply)
                if markup is not None and not chunks:
                    chunks = ["…"]
                for j, chunk in enumerate(chunks):
                    last_markup = markup if j == len(chunks) - 1 else None
                    if (i == 0 and j == 0 and pressed is not None and reply.replaces_pressed and len(chunks) == 1
                            and await self._edit(pressed, chunk, last_markup, call)):
                        continue
                    await call(partial(self._text_call, "sendMessage"), chat_id=chat_id, text=chunk,
                               reply_markup=last_markup)
                for attachment in reply.attachments:
                    document = InputFile(attachment.content, filename=attachment.filename)
                    await call(self.bot.send_document, chat_id=chat_id, document=document)
        except Forbidden as exc:
            raise Undeliverable(f"{PREFIX}: {exc.message}") from None
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                raise Undeliverable(f"{PREFIX}: {exc.message}") from None
            raise

    async def _edit(self, pressed: Message, text: str, markup: InlineKeyboardMarkup | None, call) -> bool:
        """Edit the pressed message in place; False when Telegram refuses (then a new message is sent)."""
        try:
            await call(partial(self._text_call, "editMessageText"), chat_id=pressed.chat.id,
                       message_id=pressed.message_id, text=text, reply_markup=markup)
            return True
        except BadRequest as exc:
            return "not modified" in exc.message.lower()

    async def _text_call(self, endpoint: str, **params: Any) -> Any:
        """sendMessage or editMessageText with the Defaults the bot's own methods would add; the answer
        unparsed (see TEXT_DEFAULTS)."""
        api_kwargs = {k: v for k, v in params.items() if v is not None} | TEXT_DEFAULTS
        return await self.bot.do_api_request(endpoint, api_kwargs=api_kwargs)

    async def _call(self, method: Callable[..., Awaitable[Any]], network_attempts: int = 1, **kwargs: Any) -> Any:
        """One Bot API call. RetryAfter is honoured here only when no rate limiter does it; network errors
        are retried for notifications, never a timeout (the message may have arrived)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return await method(**kwargs)
            except RetryAfter as exc:
                if self.rate_limiter is not None or attempt >= RETRY_AFTER_ATTEMPTS:
                    raise
                await asyncio.sleep(_seconds(exc) + 0.1)
            except TimedOut:
                raise
            except NetworkError as exc:
                if isinstance(exc, (BadRequest, Forbidden)) or attempt >= network_attempts:
                    raise
                await asyncio.sleep(2 ** (attempt - 1))
