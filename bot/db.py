"""One SQLite database (WAL) shared by all packages; each package brings its own migrations.

A package's migrations run in version order, after those of the packages it depends on (`Migration.after`);
packages that do not depend on each other run in name order, so the order is the same at every start.

All access goes through one connection guarded by an asyncio lock, so a transaction opened by one
coroutine never picks up statements from another. Several processes may share the file: write
transactions start with BEGIN IMMEDIATE and wait on SQLite's busy timeout.
"""

from __future__ import annotations

import asyncio
import errno
import graphlib
import heapq
import logging
import os
import sqlite3
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Iterable, Sequence

import aiosqlite

BUSY_TIMEOUT_MS = 10_000
MIN_SQLITE = (3, 35, 0)  # ALTER TABLE ... DROP COLUMN (bot migration 3)


def quiet_library_logs() -> None:
    """aiosqlite logs every statement with its parameters (addresses, message texts) at DEBUG: never ours."""
    logger = logging.getLogger("aiosqlite")
    if logger.level == logging.NOTSET or logger.level < logging.INFO:
        logger.setLevel(logging.INFO)


@dataclass(frozen=True)
class Migration:
    """A schema change owned by one package; versions count up from 1 per package."""

    package: str
    version: int
    sql: str
    after: tuple[str, ...] = ()  # packages whose migrations all run before this package's (e.g. its foreign keys)


class MigrationError(RuntimeError):
    """The migrations cannot run: an unknown or circular dependency, a repeated version, too old an SQLite."""


def migration_order(migrations: Iterable[Migration]) -> list[Migration]:
    """Every package after the packages it depends on, ties in name order; each package's in version order."""
    by_package: dict[str, list[Migration]] = {}
    for m in migrations:
        by_package.setdefault(m.package, []).append(m)
    depends: dict[str, set[str]] = {}
    for package, own in by_package.items():
        own.sort(key=lambda m: m.version)
        versions = [m.version for m in own]
        if len(set(versions)) != len(versions):
            raise MigrationError(f"the {package} migrations repeat a version: {versions}")
        depends[package] = {d for m in own for d in m.after}
        missing = sorted(depends[package] - by_package.keys())
        if missing:
            raise MigrationError(f"the {package} migrations depend on {', '.join(missing)}, which has none")
    sorter = graphlib.TopologicalSorter(depends)
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        raise MigrationError(f"the migrations depend on each other in a circle: {' -> '.join(exc.args[1])}") from None
    ready = list(sorter.get_ready())
    heapq.heapify(ready)
    order: list[Migration] = []
    while ready:
        package = heapq.heappop(ready)
        order += by_package[package]
        sorter.done(package)
        for following in sorter.get_ready():
            heapq.heappush(ready, following)
    return order


class DatabaseUnusable(Exception):
    """The database file cannot be opened or is not a SQLite database of ours; `reason` says why in a word
    (the catalogue text `cli_problems.database_<reason>`), `detail` is the system's own message."""

    def __init__(self, path: str, exc: BaseException) -> None:
        self.path = path
        self.reason = _reason(exc)
        self.detail = (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)
        super().__init__(f"{path}: {self.reason} ({self.detail})")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, sqlite3.Error):
        name = getattr(exc, "sqlite_errorname", "")
        for reason, names in (("not_sqlite", ("SQLITE_NOTADB", "SQLITE_CORRUPT")),
                              ("cannot_open", ("SQLITE_CANTOPEN",)),
                              ("locked", ("SQLITE_BUSY", "SQLITE_LOCKED")),
                              ("read_only", ("SQLITE_READONLY",)),
                              ("no_permission", ("SQLITE_PERM", "SQLITE_AUTH"))):
            if name.startswith(names):
                return reason
        return "other"
    if isinstance(exc, OSError):
        return {errno.EACCES: "no_permission", errno.EPERM: "no_permission", errno.EISDIR: "is_directory",
                errno.ENOENT: "no_directory", errno.ENOTDIR: "file_in_path", errno.EEXIST: "file_in_path",
                errno.EROFS: "read_only",
                errno.ENOSPC: "disk_full"}.get(exc.errno or 0, "other")
    return "other"


class Database:
    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path

    @classmethod
    async def open(cls, path: str | os.PathLike[str], migrations: Iterable[Migration] = ()) -> "Database":
        """Open (creating it owner-only) and migrate the database; DatabaseUnusable says why it cannot be."""
        path = str(path)
        quiet_library_logs()
        conn: aiosqlite.Connection | None = None
        try:
            if path != ":memory:":
                if os.path.isdir(path):
                    raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                _create_private(path)
            conn = await aiosqlite.connect(path, isolation_level=None)
            conn.row_factory = aiosqlite.Row
            for pragma in (
                f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=NORMAL",
                "PRAGMA foreign_keys=ON",
            ):
                await conn.execute(pragma)
            db = cls(conn, path)
            await db.migrate(migrations)
            return db
        except BaseException as exc:
            if conn is not None:  # its worker thread would keep the process alive for ever
                with suppress(Exception):
                    await conn.close()
            if isinstance(exc, (sqlite3.Error, OSError)):
                raise DatabaseUnusable(path, exc) from exc
            raise

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()

    async def migrate(self, migrations: Iterable[Migration]) -> None:
        """Apply the migrations not applied yet, in `migration_order`, each in its own transaction."""
        ordered = migration_order(migrations)  # a bad declaration stops the start before anything changes
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise MigrationError(
                f"SQLite {'.'.join(map(str, MIN_SQLITE))} or newer is needed; this Python has {sqlite3.sqlite_version}"
            )
        async with self._lock:
            await self._conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " package TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (package, version))"
            )
            async with self._conn.execute("SELECT package, version FROM schema_migrations") as cur:
                applied = {(r[0], r[1]) for r in await cur.fetchall()}
            for m in ordered:
                if (m.package, m.version) in applied:
                    continue
                # executescript runs the whole change and its bookkeeping in one transaction.
                await self._conn.executescript(
                    "BEGIN IMMEDIATE;\n"
                    + m.sql.strip().rstrip(";")
                    + f";\nINSERT INTO schema_migrations(package, version) VALUES ('{m.package}', {int(m.version)});\n"
                    "COMMIT;"
                )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Hold the write lock for a group of statements that commit or roll back together."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            else:
                await self._conn.execute("COMMIT")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """Hold the lock for a group of reads that see one consistent state of the database."""
        async with self._lock:
            await self._conn.execute("BEGIN")
            try:
                yield self._conn
            finally:
                await self._conn.execute("ROLLBACK")

    # One trip to aiosqlite's thread per statement (a cursor's execute, fetch and close would be three):
    # these are the calls every message makes.
    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one statement on its own; returns the rowcount."""
        async with self._lock:
            cur = await self._conn.execute(sql, params)
            return cur.rowcount

    async def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[aiosqlite.Row]:
        async with self._lock:
            return list(await self._conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> aiosqlite.Row | None:
        """The first row; meant for queries of one row (by key or with LIMIT 1)."""
        async with self._lock:
            rows = await self._conn.execute_fetchall(sql, params)
            return rows[0] if rows else None

    async def backup_to(self, target: str | os.PathLike[str]) -> None:
        """Online copy of the whole database into `target` (SQLite's backup API)."""
        _create_private(str(target))
        async with self._lock:
            async with aiosqlite.connect(str(target)) as dest:
                await self._conn.backup(dest)


async def integrity_problems(path: str | os.PathLike[str]) -> list[str]:
    """PRAGMA integrity_check of a database file: an empty list means it is sound."""
    async with aiosqlite.connect(f"file:{path}?mode=ro", uri=True) as conn:
        async with conn.execute("PRAGMA integrity_check") as cur:
            rows = [r[0] for r in await cur.fetchall()]
    return [] if rows == ["ok"] else rows


async def restore_from(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Replace the contents of `target` with the backup `source`, through SQLite's backup API."""
    _create_private(str(target))
    async with aiosqlite.connect(f"file:{source}?mode=ro", uri=True) as src, aiosqlite.connect(str(target)) as dest:
        await dest.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        await src.backup(dest)


def _create_private(path: str) -> None:
    """Create the file readable by its owner only, before SQLite opens it."""
    if not os.path.exists(path):
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
