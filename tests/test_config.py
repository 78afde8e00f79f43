"""Configuration: every environment variable is checked (type, bounds, form); a bad one stops every command
with a list of what is wrong and exit 2, never a traceback, and secrets are never shown."""

from __future__ import annotations

import dataclasses

import pytest

from bot.catalogue import Catalogue
from bot.cli_common import config_problems
from bot.config import ConfigError, Settings
from bot.runner import settings_secrets

from .test_cli import run

CATALOGUE = Catalogue.load()


def problems(env: dict[str, str]) -> dict[str, tuple[str, str | None, dict]]:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    return {p.variable: (p.code, p.value, p.params) for p in caught.value.problems}


def test_no_variables_give_the_documented_defaults(tmp_path):
    settings = Settings.from_env({"DUKAT_DATA_DIR": str(tmp_path)})
    assert settings.db_path == str(tmp_path / "dukat-bord.db") and settings.data_dir == str(tmp_path)
    assert (settings.knowledge_dir, settings.booking_rules) == (None, None)
    assert (settings.default_lang, settings.retention_days, settings.demo_officials) == ("sv", 90, True)
    assert (settings.telegram_token, settings.telegram_base_url, settings.telegram_webhook_url) == (None, None, None)
    assert (settings.telegram_webhook_listen, settings.telegram_webhook_port) == ("127.0.0.1", 8443)
    assert (settings.matrix_homeserver, settings.matrix_password, settings.matrix_device_name) == (None, None, "Dukat bord")
    assert settings.stale_months == 12
    assert not settings.telegram_enabled and not settings.matrix_enabled
    assert Settings.from_env({"DUKAT_DATA_DIR": str(tmp_path), "DUKAT_RETENTION_DAYS": ""}).retention_days == 90


def test_the_process_environment_is_read_the_same_way(monkeypatch, tmp_path):
    monkeypatch.setenv("DUKAT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DUKAT_RETENTION_DAYS", "30")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc_DEF-9")
    settings = Settings.from_env()
    assert (settings.retention_days, settings.telegram_token, settings.data_dir) == (30, "123:abc_DEF-9", str(tmp_path))
    monkeypatch.setenv("DUKAT_RETENTION_DAYS", "-1")
    with pytest.raises(ConfigError):
        Settings.from_env()


@pytest.mark.parametrize("variable", ["DUKAT_RETENTION_DAYS", "DUKAT_STALE_MONTHS", "TELEGRAM_WEBHOOK_PORT"])
def test_numbers_must_be_whole_and_within_bounds(variable):
    assert problems({variable: "abc"})[variable][0] == "integer"
    assert problems({variable: "1.5"})[variable][0] == "integer"
    code, value, params = problems({variable: "-5"})[variable]
    assert (code, value, params) == ("too_small", "-5", {"min": 1})
    assert problems({variable: "0"})[variable][0] == "too_small"
    assert problems({variable: "99999999"})[variable][0] == "too_large"


def test_retention_never_erases_at_once_and_takes_sensible_values():
    assert Settings.from_env({"DUKAT_RETENTION_DAYS": " 1 "}).retention_days == 1
    assert Settings.from_env({"DUKAT_RETENTION_DAYS": "365"}).retention_days == 365
    assert problems({"DUKAT_RETENTION_DAYS": "0"})["DUKAT_RETENTION_DAYS"][2] == {"min": 1}


def test_language_is_sv_or_en():
    assert Settings.from_env({"DUKAT_LANG": "EN"}).default_lang == "en"
    assert Settings.from_env({"DUKAT_LANG": " sv "}).default_lang == "sv"
    assert problems({"DUKAT_LANG": "de"})["DUKAT_LANG"] == ("one_of", "de", {"choices": "sv, en"})


@pytest.mark.parametrize("word, meaning", [("0", False), ("false", False), ("No", False), ("nej", False), ("off", False),
                                           ("1", True), ("true", True), ("yes", True), ("ja", True), ("on", True)])
def test_yes_no_settings(word, meaning):
    assert Settings.from_env({"DUKAT_DEMO_OFFICIALS": word}).demo_officials is meaning


def test_a_yes_no_setting_refuses_other_words():
    assert problems({"DUKAT_DEMO_OFFICIALS": "kanske"})["DUKAT_DEMO_OFFICIALS"][0] == "flag"


@pytest.mark.parametrize("variable, attribute", [("TELEGRAM_BASE_URL", "telegram_base_url"),
                                                 ("TELEGRAM_WEBHOOK_URL", "telegram_webhook_url"),
                                                 ("MATRIX_HOMESERVER", "matrix_homeserver")])
def test_addresses_are_http_urls(variable, attribute):
    for good in ("https://matrix.example.org", "http://127.0.0.1:8081/bot"):
        assert getattr(Settings.from_env({variable: good}), attribute) == good  # kept as written
    for bad in ("matrix.example.org", "ftp://example.org", "https://"):
        assert problems({variable: bad})[variable][0] == "url"


def test_names_and_ids_have_their_form():
    assert Settings.from_env({"TELEGRAM_BOT_USERNAME": "@dukat_bord_bot"}).telegram_bot_username == "dukat_bord_bot"
    assert problems({"TELEGRAM_BOT_USERNAME": "@a b"})["TELEGRAM_BOT_USERNAME"][0] == "telegram_username"
    assert Settings.from_env({"MATRIX_USER_ID": "@dukat:example.org"}).matrix_user_id == "@dukat:example.org"
    assert problems({"MATRIX_USER_ID": "dukat"})["MATRIX_USER_ID"][0] == "matrix_user_id"
    for host in ("0.0.0.0", "::1", "localhost", "bot.example.org"):
        assert Settings.from_env({"TELEGRAM_WEBHOOK_LISTEN": host}).telegram_webhook_listen == host
    assert problems({"TELEGRAM_WEBHOOK_LISTEN": "a host"})["TELEGRAM_WEBHOOK_LISTEN"][0] == "host"
    assert problems({"MATRIX_DEVICE_NAME": "   "})["MATRIX_DEVICE_NAME"][0] == "empty"


@pytest.mark.parametrize("variable, bad, code", [
    ("TELEGRAM_BOT_TOKEN", "not-a-token-at-all", "telegram_token"),
    ("TELEGRAM_WEBHOOK_SECRET", "has_spaces and!marks", "webhook_secret"),
])
def test_a_bad_secret_is_named_but_never_shown(variable, bad, code):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({variable: bad})
    (problem,) = caught.value.problems
    assert (problem.variable, problem.code, problem.value) == (variable, code, None)
    told = config_problems(caught.value)
    assert variable in told and bad not in told and bad not in str(caught.value)


def test_secrets_are_plain_strings_for_the_channels_and_the_log_filter_and_hidden_in_repr():
    secrets = {"TELEGRAM_BOT_TOKEN": "123456:SecretTokenValue", "TELEGRAM_WEBHOOK_SECRET": "hook_secret-1",
               "MATRIX_PASSWORD": "p4ssw0rd secret", "MATRIX_ACCESS_TOKEN": "syt_access_token"}
    settings = Settings.from_env(secrets)
    assert settings.telegram_token == "123456:SecretTokenValue" and settings.matrix_password == "p4ssw0rd secret"
    assert sorted(settings_secrets(settings)) == sorted(secrets.values())
    assert not any(value in repr(settings) for value in secrets.values())
    assert dataclasses.replace(settings, telegram_token="1:x").telegram_token == "1:x"  # tests build variants so


def test_every_problem_is_listed_at_once():
    found = problems({"DUKAT_RETENTION_DAYS": "abc", "TELEGRAM_WEBHOOK_PORT": "0", "DUKAT_LANG": "de"})
    assert set(found) == {"DUKAT_RETENTION_DAYS", "TELEGRAM_WEBHOOK_PORT", "DUKAT_LANG"}


def test_every_problem_code_has_a_text_in_both_languages():
    codes = ["integer", "too_small", "too_large", "one_of", "flag", "empty", "text", "url", "host", "telegram_username",
             "telegram_token", "webhook_secret", "matrix_user_id", "invalid"]
    for lang in ("sv", "en"):
        assert {f"config.{code}" for code in codes} <= CATALOGUE.keys(lang)


@pytest.mark.parametrize("command", [["officials", "list"], ["chat"], ["ask", "hej"], ["run"], ["faq", "list"]])
def test_a_command_with_a_bad_setting_lists_it_and_exits_2(tmp_path, command):
    result = run(command, tmp_path, stdin="hej\n", env={"DUKAT_RETENTION_DAYS": "-5", "TELEGRAM_BOT_TOKEN": "wrong token"})
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert CATALOGUE.text("sv", "config.header", count=2) in result.stderr
    assert 'DUKAT_RETENTION_DAYS="-5": ' + CATALOGUE.text("sv", "config.too_small", min=1) in result.stderr
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "wrong token" not in result.stderr
    assert not (tmp_path / "cli.db").exists(), "nothing was started"


def test_the_problems_are_told_in_the_configured_language(tmp_path):
    result = run(["officials", "list"], tmp_path, env={"DUKAT_LANG": "en", "DUKAT_RETENTION_DAYS": "abc"})
    assert result.returncode == 2
    assert 'DUKAT_RETENTION_DAYS="abc": ' + CATALOGUE.text("en", "config.integer") in result.stderr
