"""Keyed author pseudonyms: nobody can link an ``author_key`` back to a RedNote account without the key.

Every author pseudonym is an HMAC-SHA256 under ``REDNOTE_PSEUDONYM_KEY`` of the account's
*identity hash* ``sha256(user_id)[:16]``. That identity hash is exactly what MediaCrawler's
HEAD ("teaching") edition writes as ``creator_hash`` when it drops ``user_id`` (format notes §6),
so records from id-era and HEAD-era crawls of the same person get the same ``author_key``.
The identity hash itself is unkeyed (anyone with a user id can compute it), so it is never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_ENV = "REDNOTE_PSEUDONYM_KEY"
KEY_FILE = ".pseudonym_key"


class Pseudonymizer:
    def __init__(self, key: str | bytes):
        if not key:
            raise ValueError("the pseudonym key must not be empty")
        # keyed once; copying a keyed HMAC is much cheaper than re-keying per author
        self._keyed = hmac.new(key.encode() if isinstance(key, str) else key, digestmod=hashlib.sha256)

    def author_key(self, identity_hash: str) -> str:
        """32 hex characters (128 bits): collisions are negligible for any realistic population."""
        mac = self._keyed.copy()
        mac.update(identity_hash.encode())
        return mac.hexdigest()[:32]

    def author_keys(self, identity_hashes: list[str]) -> list[str]:
        return [self.author_key(h) for h in identity_hashes]


def load_key(data_dir: Path) -> str:
    """The key from the environment, else from ``$REDNOTE_DATA_DIR/.pseudonym_key``, created once.

    Keeping the generated key beside the data makes pseudonyms stable across runs; a study that
    shares its warehouse must not share that file.
    """
    key = os.environ.get(KEY_ENV, "").strip()
    if key:
        return key
    path = Path(data_dir) / KEY_FILE
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # create-exclusive so two processes starting together cannot write different keys
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key
