"""ringside workload contract (spec/contract.md) on FastAPI + uvicorn."""

import asyncio
import random
from contextlib import asynccontextmanager

import numpy as np
from fastapi import APIRouter, FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import PlainTextResponse

import db as database
from contract import Message, Primes, Stats, Waited, World, fortunes_page, int_param


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.db = database.from_env()
    if app.state.db is not None:
        await app.state.db.open()
    yield
    if app.state.db is not None:
        await app.state.db.close()


app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)


# The database endpoints on the raw driver (db.py); the @sqlmodel deployment
# (RINGSIDE_FASTAPI_DB=sqlmodel) serves routes_sqlmodel.py's instead.
raw_db = APIRouter()


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
async def json_serialization() -> Message:
    return Message(message="Hello, World!")


@raw_db.get("/db")
async def single_query(request: Request) -> World:
    [(id_, number)] = await get_db(request).world([random.randint(1, 10000)])
    return World(id=id_, randomNumber=number)


@raw_db.get("/queries")
async def multiple_queries(request: Request, q: str | None = None) -> list[World]:
    n = int_param(q, 1, 1, 500)
    ids = [random.randint(1, 10000) for _ in range(n)]
    rows = await get_db(request).world(ids)
    return [World(id=i, randomNumber=r) for i, r in rows]


@raw_db.get("/fortunes")
async def fortunes(request: Request):
    return fortunes_page(request, await get_db(request).fortunes())


@raw_db.get("/updates")
async def updates(request: Request, q: str | None = None) -> list[World]:
    db = get_db(request)
    n = int_param(q, 1, 1, 500)
    # distinct ids: every returned row is the row's final value in the database
    rows = await db.world(random.sample(range(1, 10001), n))
    rows = [(i, random.randint(1, 10000)) for i, _ in rows]
    await db.update(rows)
    return [World(id=i, randomNumber=r) for i, r in rows]


if database.orm() == "sqlmodel":
    from routes_sqlmodel import router as db_router
else:
    db_router = raw_db
app.include_router(db_router)


@app.get("/io")
async def io(ms: str | None = None) -> Waited:
    waited = int_param(ms, 50, 0, 10000)
    await asyncio.sleep(waited / 1000)
    return Waited(waited_ms=waited)


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
async def cpu(n: str | None = None) -> Primes:
    n_ = int_param(n, 10000, 1, 1000000)
    return Primes(n=n_, primes=count_primes(n_))


@app.get("/numeric")
async def numeric(n: str | None = None) -> Stats:
    n_ = int_param(n, 100000, 1, 1000000)
    x = (np.arange(n_, dtype=np.int64) * 7919 % 10007) / 10007.0
    total = x.sum()
    return Stats(
        n=n_,
        sum=float(total),
        mean=float(total / n_),
        std=float(x.std()),
        dot=float(x @ x[::-1]),
    )


# ws-chat: room -> members of this worker process. The broadcaster never
# awaits a member: each member has a queue drained by its own writer task,
# and a member with more than MAX_PENDING_BYTES queued is disconnected (the
# back-pressure rule of spec/ws-chat.md, the same in every stack).
MAX_PENDING_BYTES = 4 * 1024 * 1024


class Member:
    def __init__(self, ws: WebSocket):
        self.ws = ws
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.pending = 0
        self.writer = asyncio.create_task(self.write())

    def push(self, text: str) -> bool:
        """Queues `text`; False when the member is too far behind (then closed)."""
        if self.pending > MAX_PENDING_BYTES:
            self.queue.put_nowait(None)
            return False
        self.pending += len(text)
        self.queue.put_nowait(text)
        return True

    async def write(self) -> None:
        try:
            while (text := await self.queue.get()) is not None:
                await self.ws.send_text(text)
                self.pending -= len(text)
            await self.ws.close(code=1008)
        except Exception:  # the connection went away: the reader ends too
            pass


rooms: dict[str, set[Member]] = {}


@app.websocket("/ws/chat")
async def ws_chat(ws: WebSocket, room: str | None = None):
    room = room or "lobby"
    if len(room) > 64:
        await ws.close(code=1008)
        return
    await ws.accept()
    me = Member(ws)
    members = rooms.setdefault(room, set())
    members.add(me)
    try:
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                break
            text = msg.get("text")
            if text is None:  # binary frames are ignored
                continue
            for member in list(members):
                if not member.push(text):
                    members.discard(member)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        members.discard(me)
        me.queue.put_nowait(None)
        if not members:
            rooms.pop(room, None)
