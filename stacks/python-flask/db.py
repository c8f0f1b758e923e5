"""Database access for the ringside Flask stack (synchronous drivers).

RINGSIDE_DB selects the driver:
- sqlite:   the stdlib sqlite3 module, one connection per worker thread;
- postgres: psycopg 3 with a psycopg_pool.ConnectionPool of 8 connections per
            worker process; a batch of rows is read one query after another
            on one pooled connection.
Both are opened lazily, after gunicorn has forked the worker. The pool size
and the batch order are spec/fairness.md's rules, the same for every stack.
"""

# spec/fairness.md: 8 PostgreSQL connections a worker process (one per core).
POOL_PER_PROCESS = 8

import os
import sqlite3
import threading
from urllib.parse import quote

SELECT_FORTUNES = "SELECT id, message FROM fortune"
HEALTH = "SELECT id FROM world LIMIT 1"


def pg_conninfo() -> str:
    url = os.environ.get("RINGSIDE_PG_URL")
    if url:
        return url
    env = os.environ.get
    return "postgresql://{}:{}@{}:{}/{}".format(
        quote(env("RINGSIDE_PG_USER", "postgres"), safe=""),
        quote(env("RINGSIDE_PG_PASSWORD", ""), safe=""),
        env("RINGSIDE_PG_HOST", "127.0.0.1"),
        env("RINGSIDE_PG_PORT", "5432"),
        quote(env("RINGSIDE_PG_DATABASE", "postgres"), safe=""),
    )


class Postgres:
    SELECT = "SELECT id, randomnumber FROM world WHERE id = %s"
    # One statement for all rows (spec/fairness.md R7): one round trip.
    UPDATE = (
        "UPDATE world SET randomnumber = v.n"
        " FROM unnest(%s::int[], %s::int[]) AS v(id, n) WHERE world.id = v.id"
    )

    def __init__(self):
        self._pool = None
        self._lock = threading.Lock()

    @property
    def pool(self):
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    from psycopg_pool import ConnectionPool

                    self._pool = ConnectionPool(
                        pg_conninfo(), min_size=1, max_size=POOL_PER_PROCESS, open=True,
                        name="ringside",
                    )
        return self._pool

    def health(self) -> None:
        with self.pool.connection(timeout=2) as conn:
            conn.execute(HEALTH).fetchone()

    def world(self, ids):
        with self.pool.connection() as conn:
            return [conn.execute(self.SELECT, (i,)).fetchone() for i in ids]

    def fortunes(self):
        with self.pool.connection() as conn:
            return conn.execute(SELECT_FORTUNES).fetchall()

    def update(self, rows):
        # one transaction (committed when the block exits); rows in id order so
        # that concurrent requests lock them in the same order
        rows = sorted(rows)
        with self.pool.connection() as conn:
            conn.execute(self.UPDATE, ([i for i, _ in rows], [n for _, n in rows]))


class Sqlite:
    SELECT = "SELECT id, randomnumber FROM world WHERE id = ?"
    UPDATE = "UPDATE world SET randomnumber = ? WHERE id = ?"

    def __init__(self):
        self.path = os.environ["RINGSIDE_SQLITE_PATH"]
        self._local = threading.local()

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # timeout= is the busy timeout (spec/fairness.md R7: 5 s for every
            # stack): other workers write during /updates
            conn = sqlite3.connect(self.path, timeout=5)
            self._local.conn = conn
        return conn

    def health(self) -> None:
        if self.conn.execute(HEALTH).fetchone() is None:
            raise RuntimeError("world is empty")

    def world(self, ids):
        conn = self.conn
        return [conn.execute(self.SELECT, (i,)).fetchone() for i in ids]

    def fortunes(self):
        return self.conn.execute(SELECT_FORTUNES).fetchall()

    def update(self, rows):
        with self.conn as conn:  # commits, or rolls back on error
            conn.executemany(self.UPDATE, [(n, i) for i, n in sorted(rows)])


def from_env():
    kind = os.environ.get("RINGSIDE_DB", "").strip().lower()
    if kind == "postgres":
        return Postgres()
    if kind == "sqlite":
        return Sqlite()
    if kind:
        raise RuntimeError(f"RINGSIDE_DB={kind!r}: expected sqlite or postgres")
    return None
