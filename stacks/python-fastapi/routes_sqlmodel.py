"""The contract's database endpoints as FastAPI's SQL tutorial writes them:
SQLModel tables, a `Session` per request through `SessionDep`, plain `def`
path operations (run in FastAPI's thread pool). Used by the @sqlmodel
deployment (db_sqlmodel.py); the default deployment's are in app.py."""

import random
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session, select

from db_sqlmodel import Fortune, World
from contract import World as WorldOut
from contract import fortunes_page, int_param


def get_session(request: Request):
    db = request.app.state.db
    if db is None:
        raise RuntimeError("no database configured: set RINGSIDE_DB")
    with Session(db.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

router = APIRouter()


def read_world(session: Session, id_: int) -> World:
    # A SELECT each time (the contract: one query a row), not session.get,
    # whose identity map would answer a repeated id without a query.
    return session.exec(select(World).where(World.id == id_)).one()


@router.get("/db")
def single_query(session: SessionDep) -> WorldOut:
    w = read_world(session, random.randint(1, 10000))
    return WorldOut(id=w.id, randomNumber=w.randomnumber)


@router.get("/queries")
def multiple_queries(session: SessionDep, q: str | None = None) -> list[WorldOut]:
    n = int_param(q, 1, 1, 500)
    worlds = [read_world(session, random.randint(1, 10000)) for _ in range(n)]
    return [WorldOut(id=w.id, randomNumber=w.randomnumber) for w in worlds]


@router.get("/fortunes")
def fortunes(request: Request, session: SessionDep):
    rows = [(f.id, f.message) for f in session.exec(select(Fortune)).all()]
    return fortunes_page(request, rows)


@router.get("/updates")
def updates(session: SessionDep, q: str | None = None) -> list[WorldOut]:
    n = int_param(q, 1, 1, 500)
    # distinct ids (spec/fairness.md R7); the ORM's unit of work writes the
    # changed rows at commit, sorted by primary key, as one executemany in
    # one transaction (psycopg 3 pipelines it on PostgreSQL).
    worlds = [read_world(session, i) for i in random.sample(range(1, 10001), n)]
    out = []
    for w in worlds:
        w.randomnumber = random.randint(1, 10000)
        out.append(WorldOut(id=w.id, randomNumber=w.randomnumber))
    session.commit()
    return out
