"""Database access for the ringside FastAPI stack.

One async interface over two drivers, chosen by RINGSIDE_DB:
- postgres: an asyncpg connection pool per worker process;
- sqlite:   a small pool of aiosqlite connections per worker process (the
            driver runs each in its own thread, so the event loop never
            blocks on SQLite).
"""

import asyncio
import os
from contextlib import asynccontextmanager
from urllib.parse import unquote, urlsplit

import aiosqlite
import asyncpg

SELECT_WORLD = "SELECT id, randomnumber FROM world WHERE id = {p1}"
UPDATE_WORLD = "UPDATE world SET randomnumber = {p1} WHERE id = {p2}"
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
        size = int(os.environ.get("RINGSIDE_PG_POOL", "16"))
        self.pool = await asyncpg.create_pool(min_size=1, max_size=size, **pg_settings())
        self.select_sql = SELECT_WORLD.format(p1="$1")
        self.update_sql = UPDATE_WORLD.format(p1="$1", p2="$2")

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
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                await conn.executemany(self.update_sql, [(n, i) for i, n in sorted(rows)])


class Sqlite:
    kind = "sqlite"

    async def open(self) -> None:
        path = os.environ["RINGSIDE_SQLITE_PATH"]
        size = int(os.environ.get("RINGSIDE_SQLITE_POOL", "4"))
        # A small pool: each request has a connection to itself, so one
        # request's open statement or transaction never mixes with another's.
        # timeout= is sqlite3's busy timeout: wait up to 10 s for the write
        # lock that other connections and worker processes take in /updates.
        self.conns = [await aiosqlite.connect(path, timeout=10) for _ in range(size)]
        self.idle: asyncio.Queue = asyncio.Queue()
        for conn in self.conns:
            self.idle.put_nowait(conn)
        self.select_sql = SELECT_WORLD.format(p1="?")
        self.update_sql = UPDATE_WORLD.format(p1="?", p2="?")

    @asynccontextmanager
    async def connection(self):
        conn = await self.idle.get()
        try:
            yield conn
        finally:
            self.idle.put_nowait(conn)

    async def close(self) -> None:
        for conn in self.conns:
            await conn.close()

    async def health(self) -> None:
        async with self.connection() as conn:
            if not await conn.execute_fetchall(HEALTH):
                raise RuntimeError("world is empty")

    async def world(self, ids: list[int]) -> list[tuple[int, int]]:
        async with self.connection() as conn:
            return [tuple((await conn.execute_fetchall(self.select_sql, (i,)))[0]) for i in ids]

    async def fortunes(self) -> list[tuple[int, str]]:
        async with self.connection() as conn:
            return [tuple(r) for r in await conn.execute_fetchall(SELECT_FORTUNES)]

    async def update(self, rows: list[tuple[int, int]]) -> None:
        async with self.connection() as conn:
            try:
                await conn.executemany(self.update_sql, [(n, i) for i, n in sorted(rows)])
                await conn.commit()
            except BaseException:
                await conn.rollback()
                raise


def from_env():
    kind = os.environ.get("RINGSIDE_DB", "").strip().lower()
    if kind == "postgres":
        return Postgres()
    if kind == "sqlite":
        return Sqlite()
    if kind:
        raise RuntimeError(f"RINGSIDE_DB={kind!r}: expected sqlite or postgres")
    return None
