"""Migrations run in an explicit order: each package after the packages it depends on, the same at every start."""

from __future__ import annotations

import itertools
import sqlite3
from contextlib import closing

import pytest

from bot.app import MIGRATION_MODULES, all_migrations
from bot.db import Database, Migration, MigrationError, migration_order


def tables(path) -> set[str]:
    with closing(sqlite3.connect(path)) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


async def test_a_package_runs_after_the_one_it_depends_on_though_its_name_sorts_first(tmp_path):
    # "audit" sorts before "zoo" and changes zoo's table: alphabetical order would fail on it.
    migrations = [
        Migration("audit", 1, "CREATE INDEX animals_name ON animals(name);"
                              " INSERT INTO animals(name) VALUES ('audited');", after=("zoo",)),
        Migration("zoo", 2, "ALTER TABLE animals ADD COLUMN legs INTEGER NOT NULL DEFAULT 4;"),
        Migration("zoo", 1, "CREATE TABLE animals (name TEXT NOT NULL);"),
    ]
    db = await Database.open(tmp_path / "z.db", migrations)
    try:
        assert [dict(r) for r in await db.fetchall("SELECT name, legs FROM animals")] == [{"name": "audited", "legs": 4}]
        applied = await db.fetchall("SELECT package, version FROM schema_migrations ORDER BY rowid")
        assert [tuple(r) for r in applied] == [("zoo", 1), ("zoo", 2), ("audit", 1)]
    finally:
        await db.close()


def test_the_order_is_the_same_whatever_order_they_are_given_in():
    migrations = [
        Migration("guide", 1, "", after=("bot",)), Migration("bot", 2, ""), Migration("bot", 1, ""),
        Migration("audit", 1, "", after=("zoo", "guide")), Migration("zoo", 1, ""), Migration("booking", 1, ""),
    ]
    expected = [("booking", 1), ("bot", 1), ("bot", 2), ("guide", 1), ("zoo", 1), ("audit", 1)]
    for given in itertools.permutations(migrations):
        assert [(m.package, m.version) for m in migration_order(given)] == expected


@pytest.mark.parametrize(
    "migrations, message",
    [
        ([Migration("a", 1, "CREATE TABLE a (x);", after=("b",)), Migration("b", 1, "CREATE TABLE b (x);", after=("c",)),
          Migration("c", 1, "CREATE TABLE c (x);", after=("a",))], "circle"),
        ([Migration("a", 1, "CREATE TABLE a (x);", after=("payments",))], "the a migrations depend on payments"),
        ([Migration("a", 1, "CREATE TABLE a (x);"), Migration("a", 1, "CREATE TABLE b (x);")], "repeat a version"),
    ],
    ids=["cycle", "missing", "repeated"],
)
async def test_a_cycle_a_missing_package_or_a_repeated_version_stops_the_start_and_changes_nothing(
    tmp_path, migrations, message
):
    with pytest.raises(MigrationError, match=message):
        await Database.open(tmp_path / "bad.db", migrations)
    assert tables(tmp_path / "bad.db") <= {"schema_migrations"}


def test_every_foreign_key_refers_to_its_own_package_or_one_it_depends_on():
    """Each package's migrations, applied with only the packages it depends on, find every table they refer to."""
    migrations = all_migrations()
    after = {m.package: set(m.after) for m in migrations}
    for package in MIGRATION_MODULES:
        needed, todo = set(), [package]
        while todo:
            name = todo.pop()
            if name not in needed:
                needed.add(name)
                todo += after[name]
        with closing(sqlite3.connect(":memory:")) as conn:
            for m in migration_order(m for m in migrations if m.package in needed):
                conn.executescript(m.sql)
            own = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            for table in own:
                for fk in conn.execute(f"PRAGMA foreign_key_list({table})"):
                    assert fk[2] in own, f"{package}: {table} refers to {fk[2]}, which is not in {sorted(needed)}"


async def test_the_app_applies_its_packages_in_the_declared_order(tmp_path):
    db = await Database.open(tmp_path / "app.db", all_migrations())
    try:
        applied = [r["package"] for r in await db.fetchall("SELECT package FROM schema_migrations ORDER BY rowid")]
        assert applied.index("guide") > max(i for i, p in enumerate(applied) if p == "bot")
        columns = {r["name"] for r in await db.fetchall("SELECT name FROM pragma_table_info('users')")}
        assert "role" not in columns  # roles live in user_roles and their providers
    finally:
        await db.close()
