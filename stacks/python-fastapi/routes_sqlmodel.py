"""The contract's database endpoints as SQLModel's FastAPI tutorial writes
them (sqlmodel.tiangolo.com/tutorial/fastapi/simple-hero-api/): SQLModel
tables, plain `def` path operations (run in FastAPI's thread pool), each
opening `with Session(engine) as session:`. Used by the @sqlmodel deployment
(db_sqlmodel.py); the default deployment's are in app.py.

Not FastAPI's `SessionDep` form (a `Session` yielded by a dependency): its
session keeps the connection until the dependency exits, after FastAPI has
validated the response in the same thread pool. With more requests waiting
for a connection than the pool holds (64 connections, a pool of 8), every
pool thread blocks on a checkout while the sessions that hold the
connections wait for a thread: no response until SQLAlchemy's 30 s pool
timeout (measured here; spec/fairness.md). Closing the session inside the
endpoint returns the connection before the thread is given back."""

import random

from fastapi import APIRouter, Request
from sqlmodel import Session, select

from contract import World as WorldOut
from contract import fortunes_page, int_param
from db_sqlmodel import Fortune, World

router = APIRouter()


def engine(request: Request):
    db = request.app.state.db
    if db is None:
        raise RuntimeError("no database configured: set RINGSIDE_DB")
    return db.engine


def read_world(session: Session, id_: int) -> World:
    # A SELECT each time (the contract: one query a row), not session.get,
    # whose identity map would answer a repeated id without a query.
    return session.exec(select(World).where(World.id == id_)).one()


@router.get("/db")
def single_query(request: Request) -> WorldOut:
    with Session(engine(request)) as session:
        w = read_world(session, random.randint(1, 10000))
        return WorldOut(id=w.id, randomNumber=w.randomnumber)


@router.get("/queries")
def multiple_queries(request: Request, q: str | None = None) -> list[WorldOut]:
    n = int_param(q, 1, 1, 500)
    with Session(engine(request)) as session:
        worlds = [read_world(session, random.randint(1, 10000)) for _ in range(n)]
        return [WorldOut(id=w.id, randomNumber=w.randomnumber) for w in worlds]


@router.get("/fortunes")
def fortunes(request: Request):
    with Session(engine(request)) as session:
        rows = [(f.id, f.message) for f in session.exec(select(Fortune)).all()]
    return fortunes_page(request, rows)


@router.get("/updates")
def updates(request: Request, q: str | None = None) -> list[WorldOut]:
    n = int_param(q, 1, 1, 500)
    with Session(engine(request)) as session:
        # distinct ids (spec/fairness.md R7); the ORM's unit of work writes
        # the changed rows at commit, sorted by primary key, as one
        # executemany in one transaction (psycopg 3 pipelines it on PostgreSQL).
        worlds = [read_world(session, i) for i in random.sample(range(1, 10001), n)]
        out = []
        for w in worlds:
            w.randomnumber = random.randint(1, 10000)
            out.append(WorldOut(id=w.id, randomNumber=w.randomnumber))
        session.commit()
    return out
