"""Database access for the ringside FastAPI stack.

One async interface over two drivers, chosen by RINGSIDE_DB:
- postgres: an asyncpg pool of 8 connections per worker process; a batch of
            rows is read one query after another on one pooled connection;
- sqlite:   one stdlib sqlite3 connection per worker process, called in line
            on the event loop (a point read takes microseconds; no thread
            hop per query, as better-sqlite3 in the Node stacks).
Both rules are spec/fairness.md's, the same for every stack.
"""

import os
import sqlite3
from urllib.parse import unquote, urlsplit

import asyncpg

# spec/fairness.md: 8 PostgreSQL connections a worker process (one per core).
POOL_PER_PROCESS = 8

SELECT_WORLD = "SELECT id, randomnumber FROM world WHERE id = {p1}"
UPDATE_WORLD = "UPDATE world SET randomnumber = {p1} WHERE id = {p2}"
# PostgreSQL: one statement for all rows (spec/fairness.md R7), one round trip.
UPDATE_WORLDS_PG = (
    "UPDATE world SET randomnumber = v.n"
    " FROM unnest($1::int[], $2::int[]) AS v(id, n) WHERE world.id = v.id"
)
SELECT_FORTUNES = "SELECT id, message FROM fortune"
HEALTH = "SELECT id FROM world LIMIT 1"


def pg_settings() -> dict:
    url = os.environ.get("RINGSIDE_PG_URL")
    if url:
        u = urlsplit(url)
        return {
            "host": u.hostname or "127.0.0.1",
            "port": u.port or 5432,
            "user": unquote(u.username or "postgres"),
            "password": unquote(u.password or ""),
            "database": u.path.lstrip("/") or "postgres",
        }
    return {
        "host": os.environ.get("RINGSIDE_PG_HOST", "127.0.0.1"),
        "port": int(os.environ.get("RINGSIDE_PG_PORT", "5432")),
        "user": os.environ.get("RINGSIDE_PG_USER", "postgres"),
        "password": os.environ.get("RINGSIDE_PG_PASSWORD", ""),
        "database": os.environ.get("RINGSIDE_PG_DATABASE", "postgres"),
    }


class Postgres:
    kind = "postgres"

    async def open(self) -> None:
        self.pool = await asyncpg.create_pool(
            min_size=1, max_size=POOL_PER_PROCESS, **pg_settings()
        )
        self.select_sql = SELECT_WORLD.format(p1="$1")

    async def close(self) -> None:
        await self.pool.close()

    async def health(self) -> None:
        await self.pool.fetchval(HEALTH)

    async def world(self, ids: list[int]) -> list[tuple[int, int]]:
        async with self.pool.acquire() as conn:
            return [tuple(await conn.fetchrow(self.select_sql, i)) for i in ids]

    async def fortunes(self) -> list[tuple[int, str]]:
        return [tuple(r) for r in await self.pool.fetch(SELECT_FORTUNES)]

    async def update(self, rows: list[tuple[int, int]]) -> None:
        # rows are (id, randomnumber); updated in id order so that concurrent
        # requests take row locks in the same order (no deadlocks).
        rows = sorted(rows)
        await self.pool.execute(UPDATE_WORLDS_PG, [i for i, _ in rows], [n for _, n in rows])


class Sqlite:
    kind = "sqlite"

    async def open(self) -> None:
        # timeout= is sqlite3's busy timeout: wait up to 5 s (spec/fairness.md
        # R7, every stack) for the write lock other workers take in /updates.
        self.conn = sqlite3.connect(os.environ["RINGSIDE_SQLITE_PATH"], timeout=5)
        self.select_sql = SELECT_WORLD.format(p1="?")
        self.update_sql = UPDATE_WORLD.format(p1="?", p2="?")

    async def close(self) -> None:
        self.conn.close()

    async def health(self) -> None:
        if self.conn.execute(HEALTH).fetchone() is None:
            raise RuntimeError("world is empty")

    async def world(self, ids: list[int]) -> list[tuple[int, int]]:
        execute = self.conn.execute
        return [execute(self.select_sql, (i,)).fetchone() for i in ids]

    async def fortunes(self) -> list[tuple[int, str]]:
        return self.conn.execute(SELECT_FORTUNES).fetchall()

    async def update(self, rows: list[tuple[int, int]]) -> None:
        with self.conn:  # one transaction: commits, or rolls back on error
            self.conn.executemany(self.update_sql, [(n, i) for i, n in sorted(rows)])


def orm() -> str:
    """RINGSIDE_FASTAPI_DB: "asyncpg" (the default: this module's raw drivers)
    or "sqlmodel" (the @sqlmodel deployment, db_sqlmodel.py)."""
    layer = os.environ.get("RINGSIDE_FASTAPI_DB", "").strip().lower() or "asyncpg"
    if layer not in ("asyncpg", "sqlmodel"):
        raise RuntimeError(f"RINGSIDE_FASTAPI_DB={layer!r}: expected asyncpg or sqlmodel")
    return layer


def from_env():
    kind = os.environ.get("RINGSIDE_DB", "").strip().lower()
    if kind and orm() == "sqlmodel":
        import db_sqlmodel

        return db_sqlmodel.from_env(kind)
    if kind == "postgres":
        return Postgres()
    if kind == "sqlite":
        return Sqlite()
    if kind:
        raise RuntimeError(f"RINGSIDE_DB={kind!r}: expected sqlite or postgres")
    return None
