"""Matrix channel on matrix-nio (with end-to-end encryption): room messages become `Incoming`, engine
`Reply`s become notices.

It translates and transports; the engine decides what to say.

- **Rooms.** The bot joins every room it is invited to (also invitations that arrived while it was
  down). It answers every message in a direct chat (a room with two members) and, in a group room,
  only messages that address it (a mention pill, its user id, or its name first: "Dukat bord: …").
  A user's address is `mx:@user:server`; the direct chat a user last wrote from is remembered (`matrix_store`) and
  notifications go there. When there is none the bot opens one (a private room, invitation only).
- **Answered once, even across a crash.** The sync token (`next_batch`) is saved in the store directory
  only after every message of that sync has been handled, so a restart resumes there and nothing sent
  while the bot was down is missed. A message's answer is written to the database (`matrix_store`) in
  the same transaction as the turn's state (the user's options and flow), before anything is sent, and
  marked sent after the last part went out. An event seen again is therefore never handled again: its
  answer is skipped when it was sent, sent when it was not. Answers left unsent (a crash, a failed
  send) are sent at the next sync or start, before anything new to that user. Each part of an answer is
  sent with a transaction id made from the event id, so a part that already reached the homeserver
  before a crash is not stored twice there (the homeserver remembers transaction ids of a device for a
  day). What can repeat: when the bot dies during a turn after a change in the database (a booking, a
  cancellation, an official's answer) but before the turn was saved, the message is handled again
  from the state before it, and the booking service refuses to make the same change twice. On the
  very first start the history is skipped (only invitations are accepted), and in a room the bot has
  just joined, the messages before its own join are not answered.
- **Replies** are `m.notice` events (bots answer with notices so other bots don't answer them back)
  with a plain `body` and an HTML `formatted_body` in which every text is escaped.
- **Buttons.** Matrix has no inline keyboard, so options are numbered ("1. Ja, boka") and the last
  options offered to each user are kept in the database; an answer "1" or an option's exact text
  becomes the button's payload, identical to the payloads on Telegram and the console.
- **Attachments** (.ics, JSON) are uploaded and sent as `m.file`; in encrypted rooms the file is
  encrypted before upload and the key travels inside the encrypted event.
- **Encryption and trust policy: trust on first use.** The bot decrypts whatever it can and answers
  encrypted in encrypted rooms. When it sends, it shares the room key with every current device of
  the room's members without interactive verification (`ignore_unverified_devices=True`). It is a
  deliberate choice: the people it talks to are members of the public who open a chat with a service
  bot; none of them will do an emoji verification with it, and refusing to send (nio's default)
  would mean no answer at all, while sending in clear text would be worse. The bot's own keys and
  device stay the same across restarts (device id, access token and crypto store live in the store
  directory), so a user's client sees one device that never changes; a device that appears later
  for a user gets keys too — that is the accepted risk of this policy, the same one Element users
  accept by default for unverified devices.
- **Logs** never hold message texts, display names, tokens or raw user ids: users are pseudonyms.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import io
import json
import logging
import os
import re
import secrets
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

from aiohttp import ClientError
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinError,
    LocalProtocolError,
    LoginResponse,
    MatrixRoom,
    MegolmEvent,
    RoomCreateResponse,
    RoomMemberEvent,
    RoomMessage,
    RoomMessageMedia,
    RoomMessageNotice,
    RoomMessageText,
    RoomPreset,
    RoomSendError,
    SyncError,
    SyncResponse,
    UploadResponse,
    WhoamiResponse,
)

from ..keyed_locks import KeyedLocks
from ..messages import Incoming, Reply, choose
from ..notify import Undeliverable
from ..runner import StartFailed, redact_in_logs
from .matrix_store import Answer, MatrixPersonalData, MatrixStore

log = logging.getLogger(__name__)

PREFIX = "mx"
SYNC_TIMEOUT_MS = 30_000
ROOM_WAIT = 10.0  # seconds to wait for a room the bot just created or joined to appear in a sync
RETRY_MAX = 30.0  # seconds between sync attempts at most while the homeserver is unreachable
SYNC_FILTER = {"room": {"timeline": {"limit": 50}}, "presence": {"types": []}}

_LOG_KEY = secrets.token_bytes(16)


def pseudonym(user_id: str | None) -> str:
    """A short tag, stable within this process, for a Matrix user in logs (not reversible)."""
    if not user_id:
        return "-"
    return hashlib.blake2b(user_id.encode(), key=_LOG_KEY, digest_size=4).hexdigest()


def address_of(user_id: str) -> str:
    return f"{PREFIX}:{user_id}"


def user_of(address: str) -> str:
    prefix, _, rest = address.partition(":")
    if prefix != PREFIX or not rest.startswith("@") or ":" not in rest:
        raise ValueError("not a Matrix address")
    return rest


def render(replies: list[Reply], first_number: int = 1) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Message contents for `replies` (notices; buttons as numbered options) and the options offered."""
    contents: list[dict[str, Any]] = []
    options: list[tuple[str, str]] = []
    for reply in replies:
        buttons = reply.all_buttons()
        plain = reply.text.strip()
        rich = html.escape(plain, quote=False).replace("\n", "<br>")
        if buttons:
            start = first_number + len(options)
            lines = [f"{start + i}. {b.label}" for i, b in enumerate(buttons)]
            plain = f"{plain}\n\n" + "\n".join(lines) if plain else "\n".join(lines)
            items = "".join(f"<li>{html.escape(b.label, quote=False)}</li>" for b in buttons)
            rich = f'{rich}<ol start="{start}">{items}</ol>' if start != 1 else f"{rich}<ol>{items}</ol>"
            options += [(b.label, b.payload) for b in buttons]
        if not plain:
            continue
        contents.append({"msgtype": "m.notice", "body": plain, "format": "org.matrix.custom.html",
                         "formatted_body": rich})
    return contents, options


class MatrixChannel:
    """One bot account on one homeserver, started and stopped by the runner (`start()` / `stop()`)."""

    name = "matrix"

    def __init__(self, app, *, sync_timeout_ms: int = SYNC_TIMEOUT_MS) -> None:
        settings = app.settings
        if not settings.matrix_enabled:
            raise ValueError("MATRIX_HOMESERVER and MATRIX_USER_ID are not set")
        self.app = app
        self.settings = settings
        self.homeserver = settings.matrix_homeserver.rstrip("/")
        self.user_id = settings.matrix_user_id
        self.store_dir = Path(settings.matrix_store_dir or Path(settings.data_dir) / "matrix")
        self.sync_timeout_ms = sync_timeout_ms
        self.store = MatrixStore(app.db, app.clock)
        app.personal_data.register(MatrixPersonalData())
        self.client: AsyncClient | None = None
        self.display_name: str | None = None
        self.failed: asyncio.Future = asyncio.get_running_loop().create_future()
        self._task: asyncio.Task | None = None
        self._handlers: set[asyncio.Task] = set()
        self._locks: KeyedLocks[str] = KeyedLocks()
        self._unsent: set[str] = set()  # addresses with an answer still to send (sent before their next one)
        self._commit: asyncio.Task | None = None
        self._synced = asyncio.Event()
        self._stopping = False
        self.answered = 0  # messages answered (for tests and the bench)
        self.replayed = 0  # events delivered again and skipped
        self._replies: dict[str, list[str]] = {}
        self._waiters: dict[str, asyncio.Event] = {}

    # ------------------------------------------------------------------ credentials on disk
    @property
    def _credentials_path(self) -> Path:
        return self.store_dir / "credentials.json"

    def _load_credentials(self) -> dict[str, Any]:
        try:
            data = json.loads(self._credentials_path.read_text())
        except (OSError, ValueError):
            return {}
        if data.get("user_id") != self.user_id or data.get("homeserver") != self.homeserver:
            return {}
        return data

    def _save_credentials(self, **changes: Any) -> None:
        data = self._load_credentials()
        data.update(user_id=self.user_id, homeserver=self.homeserver, **changes)
        self.store_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self._credentials_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._credentials_path)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Log in (or restore the saved device), upload keys, catch up, then sync in the background."""
        quiet_library_logs()
        self.store_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        config = AsyncClientConfig(store_sync_tokens=False, encryption_enabled=True, max_timeouts=2,
                                   request_timeout=SYNC_TIMEOUT_MS / 1000 + 20)
        self._config = config
        self.client = AsyncClient(self.homeserver, self.user_id, store_path=str(self.store_dir), config=config)
        try:
            await self._login()
            if self.client.should_upload_keys:
                await self.client.keys_upload()
            profile = await self.client.get_displayname()
            self.display_name = getattr(profile, "displayname", None)
            self._unsent = {answer.address for answer in await self.store.unsent()}
            saved = self._load_credentials().get("next_batch")
            await self._sync_once(since=saved, timeout_ms=0, first=not saved)
        except StartFailed:
            await self.client.close()
            raise
        except (ClientError, asyncio.TimeoutError, OSError) as exc:
            await self.client.close()
            raise StartFailed("matrix.unreachable", url=self.homeserver, error=type(exc).__name__) from None
        await self.store.prune()
        self.app.notifier.register(PREFIX, self.deliver)
        self._task = asyncio.create_task(self._sync_loop(), name="matrix-sync")
        log.info("matrix: running as %s (device %s)", pseudonym(self.user_id), self.client.device_id)

    async def _login(self) -> None:
        client = self.client
        assert client is not None
        saved = self._load_credentials()
        redact_in_logs(saved.get("access_token"))
        token = self.settings.matrix_access_token
        if saved.get("access_token") and saved.get("device_id") and (not token or token == saved["access_token"]):
            client.restore_login(self.user_id, saved["device_id"], saved["access_token"])
            who = await client.whoami()
            if isinstance(who, WhoamiResponse) and who.user_id == self.user_id:
                return
            if getattr(who, "status_code", None) not in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN") or token \
                    or not self.settings.matrix_password:
                raise StartFailed("matrix.login_rejected", user=self.user_id)
            # The saved login was revoked (logged out elsewhere, or by an admin): log in again with the
            # password. That makes a new device; people in encrypted rooms see a new session of the bot.
            log.warning("matrix: the saved login was rejected; logging in again with the password (new device)")
            await client.close()  # a client without the old device, so the server makes a new one
            self.client = client = AsyncClient(self.homeserver, self.user_id, store_path=str(self.store_dir),
                                               config=self._config)
        if token:
            client.access_token = token
            who = await client.whoami()
            if not isinstance(who, WhoamiResponse) or who.user_id != self.user_id or not who.device_id:
                raise StartFailed("matrix.login_rejected", user=self.user_id)
            client.restore_login(self.user_id, who.device_id, token)
            self._save_credentials(device_id=who.device_id, access_token=token, next_batch=None)
            return
        if not self.settings.matrix_password:
            raise StartFailed("matrix.no_credentials", user=self.user_id)
        response = await client.login(self.settings.matrix_password, device_name=self.settings.matrix_device_name)
        if not isinstance(response, LoginResponse):
            raise StartFailed("matrix.login_rejected", user=self.user_id)
        redact_in_logs(response.access_token)
        self._save_credentials(device_id=response.device_id, access_token=response.access_token, next_batch=None)

    async def stop(self) -> None:
        """Stop syncing, let the messages being answered finish, save the sync token, close."""
        self._stopping = True
        self.app.notifier.unregister(PREFIX)
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self._handlers:
            await asyncio.wait(set(self._handlers), timeout=5)
        if self._commit is not None:
            with suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._commit), 5)
        if self.client is not None:
            await self.client.close()
        if not self.failed.done():
            self.failed.cancel()

    # ------------------------------------------------------------------ syncing
    async def _sync_loop(self) -> None:
        delay = 1.0
        try:
            while not self._stopping:
                try:
                    await self._sync_once(timeout_ms=self.sync_timeout_ms)
                    delay = 1.0
                except StartFailed as exc:  # the access token was revoked: nothing will work any more
                    raise RuntimeError(exc.key) from None
                except (ClientError, asyncio.TimeoutError, OSError, LocalProtocolError) as exc:
                    log.warning("matrix: sync failed (%s); retrying in %.0f s", type(exc).__name__, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RETRY_MAX)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("matrix: the sync loop stopped")
            if not self.failed.done():
                self.failed.set_result(exc)

    async def _sync_once(self, since: str | None = None, timeout_ms: int = 0, first: bool = False) -> None:
        client = self.client
        assert client is not None
        before = since or client.next_batch
        response = await client.sync(timeout=timeout_ms, sync_filter=SYNC_FILTER, since=since,
                                     full_state=True if since or first else None)
        if isinstance(response, SyncError):
            if response.status_code in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"):
                raise StartFailed("matrix.login_rejected", user=self.user_id)
            raise OSError(f"sync failed: {response.status_code}")
        if not isinstance(response, SyncResponse):
            raise OSError("unexpected sync response")
        await self._crypto_housekeeping()
        tasks: list[asyncio.Task] = []
        for room_id in response.rooms.invite:
            tasks.append(self._spawn(self._join(room_id), key=f"join:{room_id}"))
        # Answers not sent yet (the last run stopped, or a send failed) go out before anything new to that user.
        unsent, self._unsent = self._unsent, set()
        tasks += [self._spawn(self._send_unsent(address), key=address) for address in sorted(unsent)]
        if not first and response.next_batch != before:
            for room_id, info in response.rooms.join.items():
                room = client.rooms.get(room_id)
                if room is None:
                    continue
                for event in self._new_events(info.timeline.events):
                    sender = getattr(event, "sender", None)
                    if sender is None or sender == self.user_id:
                        continue
                    tasks.append(self._spawn(self._on_event(room, event), key=address_of(sender)))
        for room_id in response.rooms.leave:
            await self.store.forget_room(room_id)
        previous = self._commit
        self._commit = asyncio.create_task(self._save_token(response.next_batch, tasks, previous))
        self._synced.set()
        self._synced = asyncio.Event()

    def _new_events(self, events: list[Any]) -> list[Any]:
        """Messages after the bot's own join when the join is in this timeline; all of them otherwise."""
        start = 0
        for i, event in enumerate(events):
            if (isinstance(event, RoomMemberEvent) and event.state_key == self.user_id
                    and event.membership == "join" and (event.prev_membership or "") != "join"):
                start = i + 1
        return [e for e in events[start:] if isinstance(e, (RoomMessage, MegolmEvent))]

    async def _save_token(self, next_batch: str, tasks: list[asyncio.Task], previous: asyncio.Task | None) -> None:
        if tasks:
            await asyncio.wait(tasks)
        if previous is not None:
            with suppress(Exception):
                await previous
        # After every sync: the write and its fsync go to a thread, not onto the event loop.
        await asyncio.to_thread(self._save_credentials, next_batch=next_batch)

    async def _crypto_housekeeping(self) -> None:
        client = self.client
        assert client is not None
        if client.outgoing_to_device_messages:
            await client.send_to_device_messages()
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())

    def _spawn(self, work: Any, key: str) -> asyncio.Task:
        """Run `work` now; works with the same key (one user) run one at a time, in order."""

        async def guarded() -> None:
            try:
                async with self._locks.hold(key):  # the task's first step: taken in the order of spawning
                    await work
            except Exception:  # one bad event must never stop the others or the sync loop
                log.exception("matrix: handling an event failed")

        task = asyncio.create_task(guarded())
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)
        return task

    async def _join(self, room_id: str) -> None:
        assert self.client is not None
        response = await self.client.join(room_id)
        if isinstance(response, JoinError):
            log.warning("matrix: could not join a room (%s)", response.status_code)
        else:
            log.info("matrix: joined a room")

    # ------------------------------------------------------------------ incoming
    async def _on_event(self, room: MatrixRoom, event: Any) -> None:
        known = await self.store.answered(event.event_id)
        if known:  # seen in an earlier run that stopped before saving its sync token
            self.replayed += 1
            if isinstance(known, Answer):  # answered then, not (all) sent: send it, do not handle it again
                await self._send_answer(known)
            return
        sender = event.sender
        address = address_of(sender)
        direct = room.member_count <= 2
        if isinstance(event, MegolmEvent):  # could not be decrypted
            log.warning("matrix: an encrypted message from %s could not be decrypted", pseudonym(sender))
            with suppress(Exception):
                await self.client.request_room_key(event)  # type: ignore[union-attr]
            if direct:
                await self._answer_alone(room.room_id, event.event_id, address, "matrix.undecryptable")
            return
        if isinstance(event, RoomMessageNotice):
            return  # notices are what bots send: never answer them (no loops between bots)
        if isinstance(event, RoomMessageText):
            text = event.body
            if not direct:
                text = self._addressed(event)
                if text is None:
                    return
            incoming = await self._incoming(address, text)
        elif isinstance(event, RoomMessageMedia) and direct:
            await self._answer_alone(room.room_id, event.event_id, address, "matrix.text_only")
            return
        else:
            return
        if direct:
            await self.store.set_room(address, room.room_id)
        started = time.perf_counter()
        answer: list[Answer] = []

        async def record(conn: Any, replies: list[Reply]) -> None:  # in the transaction that saves the turn
            answer.append(self._answer(event.event_id, room.room_id, address, replies))
            await self.store.record(conn, answer[-1], render(replies)[1])

        await self.app.engine.handle(incoming, record=record)
        await self._send_answer(answer[-1])
        log.debug("matrix: answered %s in %.0f ms", pseudonym(sender), (time.perf_counter() - started) * 1000)

    async def _answer_alone(self, room_id: str, event_id: str, address: str, key: str) -> None:
        """A line of the channel's own (not the engine's) as the answer; the user's options stay."""
        answer = self._answer(event_id, room_id, address, [Reply(await self._text(address, key))])
        async with self.app.db.transaction() as conn:
            await self.store.record(conn, answer, None)
        await self._send_answer(answer)

    async def _send_unsent(self, address: str) -> None:
        for answer in await self.store.unsent(address):
            log.info("matrix: sending an answer to %s that was not sent before", pseudonym(user_of(address)))
            await self._send_answer(answer)

    def _answered(self, event_id: str, sent: list[str]) -> None:
        """Record which events answered `event_id` (kept for the last few hundred; tests and the bench wait
        on it) and wake whoever waits."""
        self.answered += 1
        self._replies[event_id] = sent
        while len(self._replies) > 500:
            self._replies.pop(next(iter(self._replies)))
        waiter = self._waiters.pop(event_id, None)
        if waiter is not None:
            waiter.set()

    async def wait_answered(self, event_id: str, timeout: float = 10.0) -> list[str]:
        """The ids of the events sent in answer to `event_id`, once they are all sent."""
        if event_id not in self._replies:
            waiter = self._waiters.setdefault(event_id, asyncio.Event())
            await asyncio.wait_for(waiter.wait(), timeout)
        return self._replies[event_id]

    def _addressed(self, event: RoomMessageText) -> str | None:
        """The message without the mention when it addresses the bot in a group room, else None."""
        content = event.source.get("content", {})
        mentions = content.get("m.mentions", {}).get("user_ids", []) if isinstance(content.get("m.mentions"), dict) else []
        names = [self.user_id, self.user_id.split(":")[0].lstrip("@")]
        if self.display_name:
            names.append(self.display_name)
        body = event.body
        # A mention (m.mentions or a pill), the full user id anywhere, or the bot's name first, as in
        # "Dukat bord: …". The name elsewhere is talk about the bot ("ett Dukat bord-möte"), not to it.
        hit = self.user_id in mentions or self.user_id in (event.formatted_body or "") or self.user_id in body
        hit = hit or any(re.match(rf"\s*{re.escape(name)}\s*[:,]", body, re.IGNORECASE) for name in names[1:])
        if not hit:
            return None
        for name in sorted(names, key=len, reverse=True):
            body = re.sub(rf"(?<![\w@-]){re.escape(name)}(?![\w-])[:,]?", " ", body, flags=re.IGNORECASE)
        return body.strip()

    async def _incoming(self, address: str, text: str) -> Incoming:
        options = await self.store.options(address)
        payload = choose(text, options) if options else None
        if payload is not None:
            return Incoming(address, payload=payload)
        return Incoming(address, text=text)

    async def _text(self, address: str, key: str) -> str:
        lang = await self.app.users.lang_of(address) or self.settings.default_lang
        return self.app.catalogue.text(lang, key)

    # ------------------------------------------------------------------ sending
    async def deliver(self, address: str, replies: list[Reply]) -> None:
        """Notifier delivery to an `mx:` address: in the user's direct chat, opened by the bot if needed."""
        user_id = user_of(address)
        room_id = await self.store.room_of(address)
        if room_id is None or not self._usable(room_id, user_id):
            room_id = await self._open_direct(user_id)
            await self.store.set_room(address, room_id)
        try:
            await self._send_notification(room_id, address, replies)
        except Undeliverable:
            await self.store.forget_room(room_id)
            raise

    def _usable(self, room_id: str, user_id: str) -> bool:
        room = self.client.rooms.get(room_id) if self.client else None
        return room is not None and user_id in room.users and room.member_count <= 2

    async def _open_direct(self, user_id: str) -> str:
        """A new private, encrypted room with `user_id` invited; waits until the bot's sync has it."""
        client = self.client
        assert client is not None
        response = await client.room_create(
            is_direct=True, preset=RoomPreset.trusted_private_chat, invite=[user_id], federate=True,
            initial_state=[{"type": "m.room.encryption", "state_key": "",
                            "content": {"algorithm": "m.megolm.v1.aes-sha2"}}],
        )
        if not isinstance(response, RoomCreateResponse):
            raise Undeliverable(f"{PREFIX}: could not open a direct chat ({getattr(response, 'status_code', '?')})")
        log.info("matrix: opened a direct chat with %s", pseudonym(user_id))
        await self._wait_for_room(response.room_id)
        await self._know_devices(response.room_id, user_id)
        return response.room_id

    async def _know_devices(self, room_id: str, user_id: str) -> None:
        """Before the first encrypted message to someone only invited, learn their devices so they get the
        room key too (nio otherwise shares it only with devices it already knows)."""
        client = self.client
        assert client is not None and client.olm is not None
        deadline = asyncio.get_running_loop().time() + ROOM_WAIT
        client.olm.update_tracked_users(client.rooms[room_id])
        while not list(client.device_store.active_user_devices(user_id)):
            if client.should_query_keys:
                with suppress(LocalProtocolError):
                    await client.keys_query()
                continue
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                log.warning("matrix: no devices known for %s; sending anyway", pseudonym(user_id))
                return
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._synced.wait(), remaining)

    async def _wait_for_room(self, room_id: str) -> None:
        assert self.client is not None
        deadline = asyncio.get_running_loop().time() + ROOM_WAIT
        while room_id not in self.client.rooms:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise Undeliverable(f"{PREFIX}: the new room did not appear in time")
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._synced.wait(), remaining)

    @staticmethod
    def _answer(event_id: str, room_id: str, address: str, replies: list[Reply]) -> Answer:
        files = [(a.filename, a.mime_type, base64.b64encode(a.content).decode()) for r in replies for a in r.attachments]
        return Answer(event_id, room_id, address, render(replies)[0], files)

    async def _send_answer(self, answer: Answer) -> None:
        """Send every part of a recorded answer, then mark it sent. A part's transaction id comes from the
        event id, so sending the answer again (after a crash) does not make a second copy on the homeserver."""
        base = "dukat." + hashlib.sha256(answer.event_id.encode()).hexdigest()[:32]
        try:
            sent = [await self._send(answer.room_id, content, tx_id=f"{base}.{i}")
                    for i, content in enumerate(answer.contents)]
            for i, (filename, mime_type, data) in enumerate(answer.files):
                sent.append(await self._send_file(answer.room_id, filename, base64.b64decode(data), mime_type,
                                                  tx_id=f"{base}.f{i}"))
        except Undeliverable as exc:  # the room is gone or closed to the bot: nobody to answer there any more
            log.warning("matrix: an answer to %s could not be delivered (%s)", pseudonym(user_of(answer.address)), exc)
            sent = []
        except BaseException:
            self._unsent.add(answer.address)  # sent at the next sync, before anything new to that user
            raise
        await self.store.sent(answer.event_id)
        self._answered(answer.event_id, sent)

    async def _send_notification(self, room_id: str, address: str, replies: list[Reply]) -> list[str]:
        """A notification: sent in order; returns the event ids. Its options become the ones the user's next
        answer is read against (one without options leaves those of the ongoing conversation alone)."""
        contents, options = render(replies)
        if options:
            await self.store.set_options(address, options)
        sent = [await self._send(room_id, content) for content in contents]
        for reply in replies:
            for attachment in reply.attachments:
                sent.append(await self._send_file(room_id, attachment.filename, attachment.content,
                                                  attachment.mime_type))
        return sent

    async def _send(self, room_id: str, content: dict[str, Any], tx_id: str | None = None) -> str:
        assert self.client is not None
        try:
            response = await self.client.room_send(room_id, "m.room.message", content, tx_id=tx_id,
                                                   ignore_unverified_devices=True)
        except LocalProtocolError as exc:  # the room is not (yet) known to the client
            raise Undeliverable(f"{PREFIX}: {exc}") from None
        if isinstance(response, RoomSendError):
            if response.status_code in ("M_FORBIDDEN", "M_NOT_FOUND"):
                raise Undeliverable(f"{PREFIX}: {response.status_code}")
            raise OSError(f"matrix: sending failed ({response.status_code})")
        return response.event_id

    async def _send_file(self, room_id: str, filename: str, data: bytes, mime_type: str,
                         tx_id: str | None = None) -> str:
        client = self.client
        assert client is not None
        room = client.rooms.get(room_id)
        encrypted = bool(room and room.encrypted)
        upload, keys = await client.upload(io.BytesIO(data), content_type=mime_type, filename=filename,
                                           encrypt=encrypted, filesize=len(data))
        if not isinstance(upload, UploadResponse):
            raise OSError(f"matrix: upload failed ({getattr(upload, 'status_code', '?')})")
        content: dict[str, Any] = {"msgtype": "m.file", "body": filename, "filename": filename,
                                   "info": {"mimetype": mime_type, "size": len(data)}}
        if encrypted and keys:
            content["file"] = {**keys, "url": upload.content_uri}
        else:
            content["url"] = upload.content_uri
        return await self._send(room_id, content, tx_id)


def quiet_library_logs() -> None:
    """nio logs event contents and request paths at DEBUG/INFO; none of that belongs in our logs."""
    for name in ("nio", "nio.client", "nio.crypto", "nio.crypto.log", "nio.responses", "nio.rooms", "nio.events",
                 "peewee", "aiohttp", "aiohttp.access", "aiohttp.client"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)
