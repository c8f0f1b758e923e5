"""ringside workload contract (spec/contract.md) on Flask + gunicorn."""

import queue
import random
import re
import threading
import time

import numpy as np
from flask import Flask, Response, render_template, request
from flask_sock import ConnectionClosed, Sock

import db as database

app = Flask(__name__)
sock = Sock(app)
db = database.from_env()

_INT = re.compile(r"[+-]?[0-9]+")


def int_param(name: str, default: int, lo: int, hi: int) -> int:
    """A base-10 integer query parameter, clamped to lo..=hi (else the default)."""
    raw = request.args.get(name)
    if raw is None or not _INT.fullmatch(raw):
        return default
    return min(max(int(raw), lo), hi)


def text(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


def require_db():
    if db is None:
        raise RuntimeError("no database configured: set RINGSIDE_DB")
    return db


@app.get("/health")
def health():
    if db is not None:
        try:
            db.health()
        except Exception as exc:  # not ready yet: the harness polls again
            return text(f"database not ready: {exc}", 503)
    return text("ok")


@app.get("/plaintext")
def plaintext():
    return text("Hello, World!")


@app.get("/json")
def json_serialization():
    return {"message": "Hello, World!"}


@app.get("/db")
def single_query():
    [(id_, number)] = require_db().world([random.randint(1, 10000)])
    return {"id": id_, "randomNumber": number}


@app.get("/queries")
def multiple_queries():
    n = int_param("q", 1, 1, 500)
    rows = require_db().world([random.randint(1, 10000) for _ in range(n)])
    return [{"id": i, "randomNumber": r} for i, r in rows]


@app.get("/fortunes")
def fortunes():
    rows = list(require_db().fortunes())
    rows.append((0, "Additional fortune added at request time."))
    rows.sort(key=lambda row: row[1])
    return render_template("fortunes.html", fortunes=rows)


@app.get("/updates")
def updates():
    store = require_db()
    n = int_param("q", 1, 1, 500)
    # distinct ids: every returned row is the row's final value in the database
    rows = store.world(random.sample(range(1, 10001), n))
    rows = [(i, random.randint(1, 10000)) for i, _ in rows]
    store.update(rows)
    return [{"id": i, "randomNumber": r} for i, r in rows]


@app.get("/io")
def io():
    waited = int_param("ms", 50, 0, 10000)
    time.sleep(waited / 1000)  # a sync worker waits, as Flask code does
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


@app.get("/cpu")
def cpu():
    n = int_param("n", 10000, 1, 1000000)
    return {"n": n, "primes": count_primes(n)}


@app.get("/numeric")
def numeric():
    n = int_param("n", 100000, 1, 1000000)
    x = (np.arange(n, dtype=np.int64) * 7919 % 10007) / 10007.0
    total = x.sum()
    return {
        "n": n,
        "sum": float(total),
        "mean": float(total / n),
        "std": float(x.std()),
        "dot": float(x @ x[::-1]),
    }


# ws-chat (flask-sock; needs a threaded worker, see stack.toml): room -> members
# of this worker process. Each connection is served by its own thread. The
# broadcaster never waits for a member: each member has a queue drained by its
# own writer thread, and a member with more than MAX_PENDING_BYTES queued is
# disconnected (the back-pressure rule of spec/ws-chat.md, for every stack).
MAX_PENDING_BYTES = 4 * 1024 * 1024


class Member:
    def __init__(self, ws):
        self.ws = ws
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.pending = 0
        self.lock = threading.Lock()
        self.writer = threading.Thread(target=self.write, daemon=True)
        self.writer.start()

    def push(self, text: str) -> bool:
        """Queues `text`; False when the member is too far behind (then closed)."""
        with self.lock:
            if self.pending > MAX_PENDING_BYTES:
                self.queue.put(None)
                return False
            self.pending += len(text)
        self.queue.put(text)
        return True

    def write(self) -> None:
        try:
            while (text := self.queue.get()) is not None:
                self.ws.send(text)
                with self.lock:
                    self.pending -= len(text)
            self.ws.close(reason=1008)
        except Exception:  # the connection went away: the reader ends too
            pass


rooms: dict[str, set] = {}
rooms_lock = threading.Lock()


@sock.route("/ws/chat")
def ws_chat(ws):
    room = request.args.get("room") or "lobby"
    if len(room) > 64:
        ws.close(reason=1008)
        return
    me = Member(ws)
    with rooms_lock:
        rooms.setdefault(room, set()).add(me)
    try:
        while True:
            message = ws.receive()
            if not isinstance(message, str):  # binary frames are ignored
                continue
            with rooms_lock:
                members = list(rooms.get(room, ()))
            for member in members:
                if not member.push(message):
                    with rooms_lock:
                        rooms.get(room, set()).discard(member)
    except ConnectionClosed:
        pass
    finally:
        me.queue.put(None)
        with rooms_lock:
            members = rooms.get(room)
            if members is not None:
                members.discard(me)
                if not members:
                    del rooms[room]
