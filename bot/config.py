"""The one place that reads configuration (environment variables) into a Settings object.

Every variable is checked by pydantic-settings (`Environment`: type, bounds, form); a bad value raises
`ConfigError` listing each problem, and the command line exits 2 with that list.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Mapping, get_args
from urllib.parse import urlsplit

from platformdirs import user_data_dir
from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, ValidationError
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from .catalogue import DEFAULT_LANG, LANGUAGES

APP_NAME = "dukat-bord"


def default_data_dir() -> Path:
    return Path(user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class Settings:
    """What the app is configured with: `from_env()` reads and checks the environment; tests build one directly.
    Secrets are plain strings here (the channels use them), hidden from repr."""

    db_path: str
    knowledge_dir: str | None = None  # None: the bundled knowledge
    default_lang: str = DEFAULT_LANG
    retention_days: int = 90
    data_dir: str = field(default_factory=lambda: str(default_data_dir()))
    booking_rules: str | None = None  # None: the bundled rules (booking/data/rules.yaml)
    demo_officials: bool = True  # load the fictitious demo officials into an empty database
    stale_months: int = 12  # DUKAT_STALE_MONTHS, for the coordinators' report
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
    # The bot's web server: one-click answers, calendar feeds, web console (shared by all of them)
    web_listen: str = "127.0.0.1"
    web_port: int = 8080
    public_url: str | None = None  # the address links are built from; None: http://<listen>:<port>
    # E-mail to officials (without DUKAT_SMTP_HOST mails are written as .eml files to mail_outbox_dir())
    smtp_host: str | None = None
    smtp_port: int | None = None  # None: 465 for tls, 587 for starttls, 25 for none
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_tls: str = "starttls"  # starttls, tls or none
    mail_from: str | None = None  # None: dukat-bord@<host of the public address>
    # Officials' own calendars (addresses and passwords are secrets: an owner-only file, never the officials file)
    calendars_file: str | None = None  # None: <data dir>/calendars.yaml
    # Who runs this bot, named in the privacy answers
    operator_name: str | None = None
    operator_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """The settings from the environment (or `env`); raises ConfigError listing every bad variable."""
        try:
            if env is None:
                read = Environment()
            else:  # the same checks over a given mapping instead of os.environ
                read = Environment.model_validate({k: v for k, v in env.items() if v != ""})
        except ValidationError as exc:
            raise ConfigError(_problems(exc), lang_of(os.environ if env is None else env)) from None
        values = {name: value.get_secret_value() if isinstance(value, SecretStr) else value
                  for name, value in read}
        data_dir = values.pop("data_dir") or str(default_data_dir())
        db_path = values.pop("db_path") or str(Path(data_dir) / "dukat-bord.db")
        return cls(db_path=db_path, data_dir=data_dir, **values)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_token)

    @property
    def matrix_enabled(self) -> bool:
        return bool(self.matrix_homeserver and self.matrix_user_id)

    def outbox_dir(self) -> Path:
        return Path(self.data_dir) / "attachments"

    @property
    def mail_enabled(self) -> bool:
        """E-mail is sent through SMTP; without a host, mails go to mail_outbox_dir() as .eml files."""
        return bool(self.smtp_host)

    def mail_outbox_dir(self) -> Path:
        return Path(self.data_dir) / "mail"

    def calendars_path(self) -> Path:
        return Path(self.calendars_file) if self.calendars_file else Path(self.data_dir) / "calendars.yaml"

    def web_base_url(self) -> str:
        """The public address links are built from, without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.web_listen}]" if ":" in self.web_listen else self.web_listen
        return f"http://{host}:{self.web_port}"


# --- checks of single values ------------------------------------------------------------------
# Each raises PydanticCustomError with a code that names the catalogue text `config.<code>`.

def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _lowered(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


_YES = ("1", "true", "yes", "ja", "on")
_NO = ("0", "false", "no", "nej", "off")


def _flag(value: Any) -> Any:
    if isinstance(value, str):
        word = value.strip().lower()
        if word not in _YES + _NO:
            raise PydanticCustomError("flag", "not a yes/no value", {"choices": ", ".join(_YES + _NO)})
        return word in _YES
    return value


def _language(value: str) -> str:
    if value not in LANGUAGES:
        raise PydanticCustomError("one_of", "not a language we have", {"choices": ", ".join(LANGUAGES)})
    return value


def _one_of(*choices: str):
    def check(value: str) -> str:
        if value not in choices:
            raise PydanticCustomError("one_of", "not one of the choices", {"choices": ", ".join(choices)})
        return value

    return check


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PydanticCustomError("url", "not an http(s) address")
    return value


def _host(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not re.fullmatch(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*", value):
            raise PydanticCustomError("host", "not a host name or IP address") from None
    return value


def _pattern(code: str, regex: str):
    """A check that the (possibly secret) value matches `regex` in full."""

    def check(value: Any) -> Any:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not re.fullmatch(regex, text):
            raise PydanticCustomError(code, "not of the expected form")
        return value

    return AfterValidator(check)


Text = Annotated[str, BeforeValidator(_stripped), Field(min_length=1)]
Lang = Annotated[str, BeforeValidator(_lowered), AfterValidator(_language)]
Flag = Annotated[bool, BeforeValidator(_flag)]
HttpUrl = Annotated[str, BeforeValidator(_stripped), AfterValidator(_http_url)]
Host = Annotated[str, BeforeValidator(_stripped), AfterValidator(_host)]
Port = Annotated[int, Field(ge=1, le=65535)]
Username = Annotated[str, BeforeValidator(lambda v: _stripped(v).lstrip("@") if isinstance(v, str) else v),
                     _pattern("telegram_username", r"[A-Za-z][A-Za-z0-9_]{4,31}")]
# Bot API token: "<bot id>:<secret>"; webhook secret: Telegram allows 1-256 of A-Z a-z 0-9 _ -.
BotToken = Annotated[SecretStr, _pattern("telegram_token", r"[0-9]+:[A-Za-z0-9_-]+")]
WebhookSecret = Annotated[SecretStr, _pattern("webhook_secret", r"[A-Za-z0-9_-]{1,256}")]
MatrixUserId = Annotated[str, BeforeValidator(_stripped), _pattern("matrix_user_id", r"@[^:\s]+:[^\s]+")]
SmtpTls = Annotated[str, BeforeValidator(_lowered), AfterValidator(_one_of("starttls", "tls", "none"))]
MailAddress = Annotated[str, BeforeValidator(_stripped), _pattern("mail_address", r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")]


class Environment(BaseSettings):
    """Every environment variable the bot reads, with its default and its bounds (README: Configuration)."""

    model_config = SettingsConfigDict(case_sensitive=True, env_ignore_empty=True, extra="ignore", frozen=True)

    data_dir: Text | None = Field(None, validation_alias="DUKAT_DATA_DIR")
    db_path: Text | None = Field(None, validation_alias="DUKAT_DB")
    knowledge_dir: Text | None = Field(None, validation_alias="DUKAT_KNOWLEDGE_DIR")
    default_lang: Lang = Field(DEFAULT_LANG, validation_alias="DUKAT_LANG")
    booking_rules: Text | None = Field(None, validation_alias="DUKAT_BOOKING_RULES")
    demo_officials: Flag = Field(True, validation_alias="DUKAT_DEMO_OFFICIALS")
    # At least a day: 0 or less would erase everyone at the next run.
    retention_days: int = Field(90, ge=1, le=3650, validation_alias="DUKAT_RETENTION_DAYS")
    stale_months: int = Field(12, ge=1, le=120, validation_alias="DUKAT_STALE_MONTHS")
    telegram_token: BotToken | None = Field(None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_base_url: HttpUrl | None = Field(None, validation_alias="TELEGRAM_BASE_URL")
    telegram_bot_username: Username | None = Field(None, validation_alias="TELEGRAM_BOT_USERNAME")
    telegram_webhook_url: HttpUrl | None = Field(None, validation_alias="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_listen: Host = Field("127.0.0.1", validation_alias="TELEGRAM_WEBHOOK_LISTEN")
    telegram_webhook_port: Port = Field(8443, validation_alias="TELEGRAM_WEBHOOK_PORT")
    telegram_webhook_secret: WebhookSecret | None = Field(None, validation_alias="TELEGRAM_WEBHOOK_SECRET")
    matrix_homeserver: HttpUrl | None = Field(None, validation_alias="MATRIX_HOMESERVER")
    matrix_user_id: MatrixUserId | None = Field(None, validation_alias="MATRIX_USER_ID")
    matrix_password: SecretStr | None = Field(None, validation_alias="MATRIX_PASSWORD")
    matrix_access_token: SecretStr | None = Field(None, validation_alias="MATRIX_ACCESS_TOKEN")
    matrix_device_name: Text = Field("Dukat bord", validation_alias="MATRIX_DEVICE_NAME")
    matrix_store_dir: Text | None = Field(None, validation_alias="MATRIX_STORE_DIR")
    web_listen: Host = Field("127.0.0.1", validation_alias="DUKAT_WEB_LISTEN")
    web_port: Port = Field(8080, validation_alias="DUKAT_WEB_PORT")
    public_url: HttpUrl | None = Field(None, validation_alias="DUKAT_PUBLIC_URL")
    smtp_host: Host | None = Field(None, validation_alias="DUKAT_SMTP_HOST")
    smtp_port: Port | None = Field(None, validation_alias="DUKAT_SMTP_PORT")
    smtp_username: Text | None = Field(None, validation_alias="DUKAT_SMTP_USERNAME")
    smtp_password: SecretStr | None = Field(None, validation_alias="DUKAT_SMTP_PASSWORD")
    smtp_tls: SmtpTls = Field("starttls", validation_alias="DUKAT_SMTP_TLS")
    mail_from: MailAddress | None = Field(None, validation_alias="DUKAT_MAIL_FROM")
    calendars_file: Text | None = Field(None, validation_alias="DUKAT_CALENDARS_FILE")
    operator_name: Text | None = Field(None, validation_alias="DUKAT_OPERATOR_NAME")
    operator_url: HttpUrl | None = Field(None, validation_alias="DUKAT_OPERATOR_URL")


def _mentions(annotation: Any, kind: type) -> bool:
    return annotation is kind or any(_mentions(arg, kind) for arg in get_args(annotation))


# Their values are never shown, not even when they are wrong.
SECRET_VARIABLES = frozenset(info.validation_alias for info in Environment.model_fields.values()
                             if _mentions(info.annotation, SecretStr))


# --- what is wrong ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ConfigProblem:
    """One bad variable: `code` names the catalogue text `config.<code>`; `value` is None for secrets."""

    variable: str
    code: str
    value: str | None
    params: dict[str, Any] = field(default_factory=dict)


class ConfigError(Exception):
    def __init__(self, problems: list[ConfigProblem], lang: str = DEFAULT_LANG) -> None:
        super().__init__(", ".join(p.variable for p in problems))
        self.problems = problems
        self.lang = lang  # the language to tell it in: DUKAT_LANG when that one is valid


# pydantic's error types -> our codes and the parameters their texts need
_CODES = {
    "int_parsing": "integer", "int_type": "integer", "int_from_float": "integer",
    "greater_than_equal": "too_small", "less_than_equal": "too_large",
    "string_too_short": "empty", "too_short": "empty", "string_type": "text",
}


def _problems(exc: ValidationError) -> list[ConfigProblem]:
    problems = []
    for error in exc.errors(include_url=False):
        variable = str(error["loc"][0])
        ctx = error.get("ctx") or {}
        code = _CODES.get(error["type"], error["type"])
        params: dict[str, Any] = {}
        if code == "too_small":
            params["min"] = ctx.get("ge")
        elif code == "too_large":
            params["max"] = ctx.get("le")
        elif code in ("one_of", "flag"):
            params["choices"] = ctx.get("choices", "")
        elif code not in ("integer", "empty", "text", "url", "host", "telegram_username", "telegram_token",
                          "webhook_secret", "matrix_user_id", "mail_address"):
            code, params = "invalid", {"detail": error["msg"]}
        value = None if variable in SECRET_VARIABLES else str(error.get("input", ""))
        problems.append(ConfigProblem(variable, code, value, params))
    return problems


def lang_of(env: Mapping[str, str]) -> str:
    """DUKAT_LANG when it names a language we have, else Swedish: the language to report bad settings in."""
    lang = env.get("DUKAT_LANG", "").strip().lower()
    return lang if lang in LANGUAGES else DEFAULT_LANG
