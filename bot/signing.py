"""Signed one-click answer links for officials' e-mails: `<public address>/answer/<token>`.

A token names one official, one meeting, one version of it (`Meeting.sequence`), the answer (yes or no) and
when it expires; it is signed with a key kept in the data directory (`signing.key`, created once, owner-only),
so it cannot be altered or made up. Expiry is checked against the app's clock.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from itsdangerous import BadSignature, URLSafeSerializer

KEY_FILE = "signing.key"
SALT = "dukat-bord.answer"
LINK_LIFETIME = timedelta(days=14)  # and never past the meeting's start


class BadLink(Exception):
    """The token is not one we made (`reason` "tampered") or its time is over ("expired")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Answer:
    official_id: str
    ref: str
    version: int
    accept: bool
    expires: datetime


def signing_key(data_dir: str | Path) -> str:
    """The key in `<data_dir>/signing.key`, made (owner-only) the first time it is needed."""
    path = Path(data_dir) / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
        raise  # another process is writing it this very moment; the next use reads it
    with os.fdopen(fd, "w", encoding="ascii") as out:
        key = secrets.token_urlsafe(32)
        out.write(key + "\n")
        out.flush()
        os.fsync(out.fileno())
    return key


class AnswerLinks:
    """Makes and reads answer links; the key is read (or made) at the first use, not at start-up."""

    def __init__(self, key: Callable[[], str], base_url: str) -> None:
        self._key = key
        self._cached: URLSafeSerializer | None = None
        self.base_url = base_url.rstrip("/")

    @property
    def _serializer(self) -> URLSafeSerializer:
        if self._cached is None:
            self._cached = URLSafeSerializer(self._key(), salt=SALT)
        return self._cached

    def token(self, official_id: str, ref: str, version: int, accept: bool, expires: datetime) -> str:
        return self._serializer.dumps([official_id, ref, version, 1 if accept else 0, int(expires.timestamp())])

    def url(self, official_id: str, ref: str, version: int, accept: bool, now: datetime, meeting_start: datetime) -> str:
        expires = min(now + LINK_LIFETIME, meeting_start)
        return f"{self.base_url}/answer/{self.token(official_id, ref, version, accept, expires)}"

    def read(self, token: str, now: datetime) -> Answer:
        """The answer a token carries; BadLink when it was altered or has expired."""
        try:
            official_id, ref, version, accept, expires = self._serializer.loads(token)
            answer = Answer(str(official_id), str(ref), int(version), bool(accept),
                            datetime.fromtimestamp(int(expires), timezone.utc))
        except (BadSignature, ValueError, TypeError):
            raise BadLink("tampered") from None
        if now >= answer.expires:
            raise BadLink("expired")
        return answer
