"""Keyed author pseudonyms: an ``author_key`` cannot be computed from a RedNote account, nor the account
from it, without the key. That protects the key column only: the warehouse also keeps note ids and texts,
and a note's public page shows its author (README, Privacy).

Every author pseudonym is an HMAC-SHA256 under ``REDNOTE_PSEUDONYM_KEY`` of the account's
*identity hash* ``sha256(user_id)[:16]``. That identity hash is exactly what MediaCrawler's
HEAD ("teaching") edition writes as ``creator_hash`` when it drops ``user_id`` (format notes §6),
so records from id-era and HEAD-era crawls of the same person get the same ``author_key``.
The identity hash itself is unkeyed (anyone with a user id can compute it), so it is never stored.

A warehouse holds pseudonyms of one key only: its fingerprint (a keyed hash, which does not reveal
the key) is stored at the first ingest, and an ingest under another key stops with
:class:`PseudonymKeyMismatch` instead of splitting every author in two. :func:`rekey_warehouse`
moves a warehouse to a new key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

import duckdb

from rednote_dagster.lib.settings import PSEUDONYM_KEY_ENV, pseudonym_key
from rednote_dagster.lib.warehouse import table_exists

KEY_ENV = PSEUDONYM_KEY_ENV
KEY_FILE = ".pseudonym_key"
FINGERPRINT_TABLE = "raw.pseudonym_key"
# What the fingerprint is the HMAC of: a fixed label, so it can be recomputed from the key alone.
_FINGERPRINT_LABEL = b"rednote_dagster pseudonym key fingerprint v1"
REKEY_COMMAND = "python -m rednote_dagster rekey --old-key-file <file holding the old key>"


def key_fingerprint(key: str | bytes) -> str:
    """16 hex characters identifying the key; computing the key from them is as hard as breaking HMAC."""
    raw = key.encode() if isinstance(key, str) else key
    return hmac.new(raw, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]


class PseudonymKeyMismatch(RuntimeError):
    """The pseudonym key differs from the one the warehouse's author keys were made with."""


class Pseudonymizer:
    def __init__(self, key: str | bytes):
        if not key:
            raise ValueError("the pseudonym key must not be empty")
        # keyed once; copying a keyed HMAC is much cheaper than re-keying per author
        self._keyed = hmac.new(key.encode() if isinstance(key, str) else key, digestmod=hashlib.sha256)
        self.fingerprint = key_fingerprint(key)

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
    key = pseudonym_key()
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


def check_key_fingerprint(con: duckdb.DuckDBPyConnection, fingerprint: str) -> bool:
    """Stop if the warehouse was built under another key; record ``fingerprint`` if it holds none yet.
    True when it was recorded now (a new warehouse, or one from before fingerprints were kept)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {FINGERPRINT_TABLE} (fingerprint VARCHAR NOT NULL, recorded_at TIMESTAMPTZ)"
    )
    stored = con.execute(f"SELECT fingerprint FROM {FINGERPRINT_TABLE}").fetchall()
    if not stored:
        con.execute(f"INSERT INTO {FINGERPRINT_TABLE} VALUES (?, now())", [fingerprint])
        return True
    if stored[0][0] != fingerprint:
        raise PseudonymKeyMismatch(
            f"the pseudonym key (fingerprint {fingerprint}) is not the key this warehouse's author keys were "
            f"made with (fingerprint {stored[0][0]}): ingesting would give every author a second pseudonym. "
            f"Use the original key ({KEY_ENV} or $REDNOTE_DATA_DIR/{KEY_FILE}), or move the warehouse to the "
            f"new key: {REKEY_COMMAND}"
        )
    return False


def rekey_warehouse(
    con: duckdb.DuckDBPyConnection, old: Pseudonymizer, new: Pseudonymizer, identity_hashes: Iterable[str]
) -> dict[str, int]:
    """Rewrite every ``author_key`` of every table from ``old``'s pseudonyms to ``new``'s, in one
    transaction, with the stored fingerprint. Pseudonyms are one-way, so the identity hashes come from
    the crawl files again (``identity_hashes``); if any stored author key is not among them, nothing is
    changed. Returns rows rewritten per table. Views (dbt) read the rewritten tables."""
    stored = (
        con.execute(f"SELECT fingerprint FROM {FINGERPRINT_TABLE}").fetchall()
        if table_exists(con, FINGERPRINT_TABLE)
        else []
    )
    if not stored or stored[0][0] != old.fingerprint:
        raise PseudonymKeyMismatch(
            f"the old key given (fingerprint {old.fingerprint}) is not the key this warehouse was built with "
            f"(fingerprint {stored[0][0] if stored else 'none recorded'})"
        )
    hashes = sorted(set(identity_hashes))
    con.execute("CREATE OR REPLACE TEMP TABLE rekey_map (old_key VARCHAR PRIMARY KEY, new_key VARCHAR)")
    con.executemany(
        "INSERT OR IGNORE INTO rekey_map VALUES (?, ?)", list(zip(old.author_keys(hashes), new.author_keys(hashes)))
    )
    tables = [
        f"{schema}.{table}"
        for schema, table in con.execute("""
        SELECT c.table_schema, c.table_name FROM information_schema.columns c
        JOIN information_schema.tables t USING (table_catalog, table_schema, table_name)
        WHERE c.column_name = 'author_key' AND t.table_type = 'BASE TABLE' AND c.table_schema NOT LIKE 'temp%'
        ORDER BY 1, 2""").fetchall()
    ]
    unknown = {
        t: n
        for t in tables
        if (
            n := con.execute(
                f"SELECT count(DISTINCT author_key) FROM {t} WHERE author_key IS NOT NULL "
                f"AND author_key NOT IN (SELECT old_key FROM rekey_map)"
            ).fetchall()[0][0]
        )
    }
    if unknown:
        raise ValueError(
            f"author keys with no crawl record in the inbox (distinct, per table): {unknown}; "
            f"put the crawl files they came from back in the inbox, nothing was changed"
        )
    rewritten = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for table in tables:
            rewritten[table] = con.execute(
                f"UPDATE {table} SET author_key = m.new_key FROM rekey_map m WHERE {table}.author_key = m.old_key"
            ).fetchall()[0][0]
        con.execute(f"UPDATE {FINGERPRINT_TABLE} SET fingerprint = ?, recorded_at = now()", [new.fingerprint])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return rewritten
