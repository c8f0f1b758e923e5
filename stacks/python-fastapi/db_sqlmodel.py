"""The @sqlmodel deployment's database, as FastAPI's SQL tutorial writes it.

fastapi.tiangolo.com/tutorial/sql-databases/ models tables with SQLModel,
opens a sync SQLAlchemy engine and serves the database endpoints as plain
`def` path operations, which FastAPI runs in its thread pool, each with a
`Session` (routes_sqlmodel.py: opened in the endpoint, not through the
tutorial's `SessionDep`, and why). This module holds the tables and the
engine, chosen by RINGSIDE_FASTAPI_DB=sqlmodel:
- sqlite:   the tutorial's `sqlite:///` URL (stdlib sqlite3 under SQLAlchemy,
            `check_same_thread=False`), busy timeout 5 s (spec/fairness.md R7);
- postgres: `postgresql+psycopg` (psycopg 3, as FastAPI's full-stack template).
Both engines pool 8 connections per worker process (spec/fairness.md R4);
a request's session holds one connection and reads a batch one query after
another on it (R5).
"""

import os

from sqlalchemy import URL
from starlette.concurrency import run_in_threadpool
from sqlmodel import Field, Session, SQLModel, create_engine, select

import db as raw

# spec/fairness.md R4: 8 connections a worker process, on both databases here
# (the tutorial's engine would pool 5 plus 10 overflow).
POOL_PER_PROCESS = 8


class World(SQLModel, table=True):
    id: int = Field(primary_key=True)
    randomnumber: int


class Fortune(SQLModel, table=True):
    id: int = Field(primary_key=True)
    message: str


def engine_url(kind: str):
    if kind == "sqlite":
        return f"sqlite:///{os.environ['RINGSIDE_SQLITE_PATH']}"
    s = raw.pg_settings()
    return URL.create(
        "postgresql+psycopg",
        username=s["user"],
        password=s["password"],
        host=s["host"],
        port=s["port"],
        database=s["database"],
    )


class SqlModelDb:
    """The engine the endpoints' sessions use, opened and closed with the app."""

    def __init__(self, kind: str):
        self.kind = kind

    async def open(self) -> None:
        # timeout= is sqlite3's busy timeout (R7: 5 s in every stack).
        connect_args = {"check_same_thread": False, "timeout": 5} if self.kind == "sqlite" else {}
        self.engine = create_engine(
            engine_url(self.kind),
            connect_args=connect_args,
            pool_size=POOL_PER_PROCESS,
            max_overflow=0,
        )

    async def close(self) -> None:
        self.engine.dispose()

    async def health(self) -> None:
        def first_row():
            with Session(self.engine) as session:
                if session.exec(select(World.id).limit(1)).first() is None:
                    raise RuntimeError("world is empty")

        await run_in_threadpool(first_row)


def from_env(kind: str):
    if kind not in ("sqlite", "postgres"):
        raise RuntimeError(f"RINGSIDE_DB={kind!r}: expected sqlite or postgres")
    return SqlModelDb(kind)
