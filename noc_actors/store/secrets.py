"""Contact points' secrets, encrypted at rest (Fernet: AES-128-CBC with an
HMAC-SHA256, from ``cryptography``).

The key comes from ``NOC_SECRET_KEY`` (SHA-256 of it, so any long string
works) and must be the same on every node. Without it, a key file is made
once (mode 0600) next to a SQLite database, or in the data directory for
PostgreSQL — enough for one machine; a cluster must set the variable."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.engine import make_url

from noc_actors.settings import Settings, default_data_dir

KEY_FILE = "secret.key"


class SecretError(Exception):
    """A stored secret could not be read with this process's key."""


def _key_file(settings: Settings) -> Path:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).parent / KEY_FILE
    return default_data_dir() / KEY_FILE


def _file_key(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(base64.urlsafe_b64encode(os.urandom(32)))
    return path.read_bytes().strip()


class SecretBox:
    def __init__(self, settings: Settings) -> None:
        if settings.secret_key is not None:
            raw = hashlib.sha256(settings.secret_key.get_secret_value().encode()).digest()
            key = base64.urlsafe_b64encode(raw)
        else:
            key = _file_key(_key_file(settings))
        self._fernet = Fernet(key)

    def seal(self, secrets: dict[str, str]) -> str | None:
        if not secrets:
            return None
        return self._fernet.encrypt(json.dumps(secrets).encode()).decode()

    def open(self, sealed: str | None) -> dict[str, str]:
        if not sealed:
            return {}
        try:
            value = json.loads(self._fernet.decrypt(sealed.encode()))
        except InvalidToken:
            raise SecretError(
                "a contact point's secret cannot be decrypted with this node's key: "
                "set NOC_SECRET_KEY to the same value on every node"
            ) from None
        return {str(k): str(v) for k, v in value.items()}
