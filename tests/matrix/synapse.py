"""A throwaway Synapse homeserver for tests and the bench (a plain module: `bench/matrix_e2e.py` imports it).

`Synapse(tmp_dir).start()` writes a small config (SQLite, loopback listener on a free port, no
federation, no presence, rate limits out of the way, fast password hashing, a registration shared
secret and a fresh signing key), starts `python -m synapse.app.homeserver` as a subprocess and waits
until `/_matrix/client/versions` answers. Users are made through the shared-secret admin API.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

SERVER_NAME = "dukat.test"
START_TIMEOUT = 60.0
_HIGH = {"per_second": 10000, "burst_count": 10000}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(base: Path, port: int, secret: str) -> dict:
    return {
        "server_name": SERVER_NAME,
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "pid_file": str(base / "homeserver.pid"),
        "listeners": [{
            "port": port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False, "x_forwarded": False,
            "resources": [{"names": ["client"], "compress": False}],
        }],
        "database": {"name": "sqlite3", "args": {"database": str(base / "homeserver.db")}},
        "log_config": str(base / "log.yaml"),
        "media_store_path": str(base / "media"),
        "signing_key_path": str(base / "signing.key"),
        "registration_shared_secret": secret,
        "enable_registration": False,
        "macaroon_secret_key": secrets.token_hex(16),
        "form_secret": secrets.token_hex(16),
        "report_stats": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        "enable_metrics": False,
        "bcrypt_rounds": 4,
        "rc_message": _HIGH,
        "rc_registration": _HIGH,
        "rc_login": {"address": _HIGH, "account": _HIGH, "failed_attempts": _HIGH},
        "rc_joins": {"local": _HIGH, "remote": _HIGH},
        "rc_joins_per_room": _HIGH,
        "rc_invites": {"per_room": _HIGH, "per_user": _HIGH, "per_issuer": _HIGH},
        "rc_room_creation": _HIGH,
        "rc_key_requests": _HIGH,
        "rc_3pid_validation": _HIGH,
        "rc_admin_redaction": _HIGH,
        "rc_media_create": _HIGH,
        "rc_presence": {"per_user": _HIGH},
        "max_upload_size": "10M",
    }


_LOG_CONFIG = """\
version: 1
formatters:
  plain: {format: '%(asctime)s %(name)s %(levelname)s %(message)s'}
handlers:
  file: {class: logging.FileHandler, filename: 'LOGFILE', formatter: plain}
root: {level: WARNING, handlers: [file]}
disable_existing_loggers: false
"""


class Synapse:
    """One homeserver in `base` (a directory it may fill); `start()` / `stop()`; `register()` users."""

    def __init__(self, base: Path | str, python: str = sys.executable) -> None:
        self.base = Path(base)
        self.python = python
        self.port = 0
        self.secret = secrets.token_urlsafe(24)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def write_config(self) -> Path:
        self.base.mkdir(parents=True, exist_ok=True)
        (self.base / "media").mkdir(exist_ok=True)
        self.port = free_port()
        seed = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        (self.base / "signing.key").write_text(f"ed25519 a_test {seed}\n")
        (self.base / "log.yaml").write_text(_LOG_CONFIG.replace("LOGFILE", str(self.base / "homeserver.log")))
        path = self.base / "homeserver.yaml"
        path.write_text(json.dumps(_config(self.base, self.port, self.secret), indent=1))  # JSON is YAML
        return path

    def start(self, timeout: float = START_TIMEOUT) -> "Synapse":
        config = self.write_config()
        out = open(self.base / "stdout.log", "wb")
        self.process = subprocess.Popen(
            [self.python, "-m", "synapse.app.homeserver", "-c", str(config)],
            cwd=self.base, stdout=out, stderr=subprocess.STDOUT,
        )
        out.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"synapse exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=1) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"synapse did not answer within {timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.1)

    def log_tail(self, chars: int = 3000) -> str:
        text = ""
        for name in ("stdout.log", "homeserver.log"):
            path = self.base / name
            if path.exists():
                text += path.read_text(errors="replace")[-chars:]
        return text

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def _request(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as r:
            return json.loads(r.read())

    def register(self, localpart: str, password: str | None = None, admin: bool = False,
                 displayname: str | None = None) -> "Account":
        """A new user through `/_synapse/admin/v1/register` (HMAC-SHA1 over nonce, user, password, admin)."""
        password = password or secrets.token_urlsafe(12)
        nonce = self._request("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(self.secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), localpart.encode(), password.encode(),
                                 b"admin" if admin else b"notadmin"]))
        body = {"nonce": nonce, "username": localpart, "password": password, "admin": admin, "mac": mac.hexdigest()}
        if displayname:
            body["displayname"] = displayname
        result = self._request("POST", "/_synapse/admin/v1/register", body)
        return Account(result["user_id"], password, result["access_token"], result["device_id"])

    def __enter__(self) -> "Synapse":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Account:
    def __init__(self, user_id: str, password: str, access_token: str, device_id: str) -> None:
        self.user_id = user_id
        self.password = password
        self.access_token = access_token
        self.device_id = device_id

    def __repr__(self) -> str:  # never the password or token
        return f"Account({self.user_id})"


if __name__ == "__main__":  # manual check: start, register, stop
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.monotonic()
        with Synapse(tmp) as hs:
            print(f"up at {hs.url} in {time.monotonic() - t0:.1f} s; {hs.register('probe')}")
