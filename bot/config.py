"""The one place that reads configuration (environment variables) into a Settings object."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from platformdirs import user_data_dir

APP_NAME = "dukat-bord"


def default_data_dir() -> Path:
    return Path(user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class Settings:
    db_path: str
    knowledge_dir: str | None = None  # None: the bundled knowledge
    default_lang: str = "sv"
    retention_days: int = 90
    data_dir: str = field(default_factory=lambda: str(default_data_dir()))
    booking_rules: str | None = None  # None: the bundled rules (booking/data/rules.yaml)
    demo_officials: bool = True  # load the fictitious demo officials into an empty database
    # Telegram (issue: Telegram channel)
    telegram_token: str | None = field(default=None, repr=False)
    telegram_base_url: str | None = None
    telegram_bot_username: str | None = None  # for t.me deep links printed by `officials invite`
    telegram_webhook_url: str | None = None
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    # Matrix (issue: Matrix channel)
    matrix_homeserver: str | None = None
    matrix_user_id: str | None = None
    matrix_password: str | None = field(default=None, repr=False)
    matrix_access_token: str | None = field(default=None, repr=False)
    matrix_device_name: str = "Dukat bord"
    matrix_store_dir: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        data_dir = env.get("DUKAT_DATA_DIR") or str(default_data_dir())
        lang = env.get("DUKAT_LANG", "sv").strip().lower()
        return cls(
            db_path=env.get("DUKAT_DB") or str(Path(data_dir) / "dukat-bord.db"),
            knowledge_dir=env.get("DUKAT_KNOWLEDGE_DIR") or None,
            default_lang=lang if lang in ("sv", "en") else "sv",
            retention_days=int(env.get("DUKAT_RETENTION_DAYS", "90")),
            data_dir=data_dir,
            booking_rules=env.get("DUKAT_BOOKING_RULES") or None,
            demo_officials=env.get("DUKAT_DEMO_OFFICIALS", "1").strip().lower() not in ("0", "false", "no", "nej"),
            telegram_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_base_url=env.get("TELEGRAM_BASE_URL") or None,
            telegram_bot_username=(env.get("TELEGRAM_BOT_USERNAME") or "").lstrip("@") or None,
            telegram_webhook_url=env.get("TELEGRAM_WEBHOOK_URL") or None,
            telegram_webhook_listen=env.get("TELEGRAM_WEBHOOK_LISTEN", "127.0.0.1"),
            telegram_webhook_port=int(env.get("TELEGRAM_WEBHOOK_PORT", "8443")),
            telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
            matrix_homeserver=env.get("MATRIX_HOMESERVER") or None,
            matrix_user_id=env.get("MATRIX_USER_ID") or None,
            matrix_password=env.get("MATRIX_PASSWORD") or None,
            matrix_access_token=env.get("MATRIX_ACCESS_TOKEN") or None,
            matrix_device_name=env.get("MATRIX_DEVICE_NAME") or "Dukat bord",
            matrix_store_dir=env.get("MATRIX_STORE_DIR") or None,
        )

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_token)

    @property
    def matrix_enabled(self) -> bool:
        return bool(self.matrix_homeserver and self.matrix_user_id)

    def outbox_dir(self) -> Path:
        return Path(self.data_dir) / "attachments"
