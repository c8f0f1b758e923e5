"""ringside workload contract (spec/contract.md) on FastAPI + uvicorn."""

import asyncio
import random
import re
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np
from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import PlainTextResponse
from fastapi.templating import Jinja2Templates

import db as database

_INT = re.compile(r"[+-]?[0-9]+")


def int_param(raw: str | None, default: int, lo: int, hi: int) -> int:
    """A base-10 integer query parameter, clamped to lo..=hi (else the default)."""
    if raw is None or not _INT.fullmatch(raw):
        return default
    return min(max(int(raw), lo), hi)


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.db = database.from_env()
    if app.state.db is not None:
        await app.state.db.open()
    yield
    if app.state.db is not None:
        await app.state.db.close()


app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def get_db(request: Request):
    db = request.app.state.db
    if db is None:
        raise RuntimeError("no database configured: set RINGSIDE_DB")
    return db


@app.get("/health", response_class=PlainTextResponse)
async def health(request: Request):
    db = request.app.state.db
    if db is not None:
        try:
            await db.health()
        except Exception as exc:  # not ready yet: the harness polls again
            return PlainTextResponse(f"database not ready: {exc}", status_code=503)
    return "ok"


@app.get("/plaintext", response_class=PlainTextResponse)
async def plaintext():
    return "Hello, World!"


@app.get("/json")
async def json_serialization():
    return {"message": "Hello, World!"}


@app.get("/db")
async def single_query(request: Request):
    [(id_, number)] = await get_db(request).world([random.randint(1, 10000)])
    return {"id": id_, "randomNumber": number}


@app.get("/queries")
async def multiple_queries(request: Request, q: str | None = None):
    n = int_param(q, 1, 1, 500)
    ids = [random.randint(1, 10000) for _ in range(n)]
    rows = await get_db(request).world(ids)
    return [{"id": i, "randomNumber": r} for i, r in rows]


@app.get("/fortunes")
async def fortunes(request: Request):
    rows = await get_db(request).fortunes()
    rows.append((0, "Additional fortune added at request time."))
    rows.sort(key=lambda row: row[1])
    return templates.TemplateResponse(request, "fortunes.html", {"fortunes": rows})


@app.get("/updates")
async def updates(request: Request, q: str | None = None):
    db = get_db(request)
    n = int_param(q, 1, 1, 500)
    # distinct ids: every returned row is the row's final value in the database
    rows = await db.world(random.sample(range(1, 10001), n))
    rows = [(i, random.randint(1, 10000)) for i, _ in rows]
    await db.update(rows)
    return [{"id": i, "randomNumber": r} for i, r in rows]


@app.get("/io")
async def io(ms: str | None = None):
    waited = int_param(ms, 50, 0, 10000)
    await asyncio.sleep(waited / 1000)
    return {"waited_ms": waited}


def count_primes(n: int) -> int:
    count = 0
    for k in range(2, n + 1):
        d = 2
        prime = True
        while d * d <= k:
            if k % d == 0:
                prime = False
                break
            d += 1
        if prime:
            count += 1
    return count


# CPU-bound: a plain `def` endpoint would run in the threadpool and still hold
# the GIL; `async def` keeps it on the worker's event loop, as the Node stacks do.
@app.get("/cpu")
async def cpu(n: str | None = None):
    n_ = int_param(n, 10000, 1, 1000000)
    return {"n": n_, "primes": count_primes(n_)}


@app.get("/numeric")
async def numeric(n: str | None = None):
    n_ = int_param(n, 100000, 1, 1000000)
    x = (np.arange(n_, dtype=np.int64) * 7919 % 10007) / 10007.0
    total = x.sum()
    return {
        "n": n_,
        "sum": float(total),
        "mean": float(total / n_),
        "std": float(x.std()),
        "dot": float(x @ x[::-1]),
    }


# ws-chat: room -> members of this worker process
rooms: dict[str, set[WebSocket]] = {}


@app.websocket("/ws/chat")
async def ws_chat(ws: WebSocket, room: str | None = None):
    room = room or "lobby"
    if len(room) > 64:
        await ws.close(code=1008)
        return
    await ws.accept()
    members = rooms.setdefault(room, set())
    members.add(ws)
    try:
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                break
            text = msg.get("text")
            if text is None:  # binary frames are ignored
                continue
            for member in list(members):
                try:
                    await member.send_text(text)
                except Exception:
                    members.discard(member)
    except WebSocketDisconnect:
        pass
    finally:
        members.discard(ws)
        if not members:
            rooms.pop(room, None)
