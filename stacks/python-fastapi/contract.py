"""What both database layers' routes share: query parameters, response
models and the fortunes template (app.py, routes_sqlmodel.py)."""

import re
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

_INT = re.compile(r"[+-]?[0-9]+")


def int_param(raw: str | None, default: int, lo: int, hi: int) -> int:
    """A base-10 integer query parameter, clamped to lo..=hi (else the default)."""
    if raw is None or not _INT.fullmatch(raw):
        return default
    return min(max(int(raw), lo), hi)


# Response models: FastAPI's documented JSON fast path (since 0.130 a
# Pydantic return type is serialised by Pydantic, in Rust), the counterpart
# of Fastify's response schemas (spec/fairness.md: fast paths used alike).
class Message(BaseModel):
    message: str


class World(BaseModel):
    id: int
    randomNumber: int


class Waited(BaseModel):
    waited_ms: int


class Primes(BaseModel):
    n: int
    primes: int


class Stats(BaseModel):
    n: int
    sum: float
    mean: float
    std: float
    dot: float


templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def fortunes_page(request: Request, rows: list[tuple[int, str]]):
    """The fortunes page: the rows plus one added at request time, by message."""
    rows.append((0, "Additional fortune added at request time."))
    rows.sort(key=lambda row: row[1])
    return templates.TemplateResponse(request, "fortunes.html", {"fortunes": rows})
