"""ringside workload contract (spec/contract.md) as Django views."""

import random
import re
import time

import numpy as np
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from .models import Fortune, World

_INT = re.compile(r"[+-]?[0-9]+")


def int_param(request, name: str, default: int, lo: int, hi: int) -> int:
    """A base-10 integer query parameter, clamped to lo..=hi (else the default)."""
    raw = request.GET.get(name)
    if raw is None or not _INT.fullmatch(raw):
        return default
    return min(max(int(raw), lo), hi)


def health(request):
    if settings.RINGSIDE_DB:
        try:
            World.objects.values_list("id").first()
        except Exception as exc:  # not ready yet: the harness polls again
            return HttpResponse(f"database not ready: {exc}", content_type="text/plain", status=503)
    return HttpResponse("ok", content_type="text/plain")


def plaintext(request):
    return HttpResponse("Hello, World!", content_type="text/plain")


def json_serialization(request):
    return JsonResponse({"message": "Hello, World!"})


def single_query(request):
    world = World.objects.get(id=random.randint(1, 10000))
    return JsonResponse({"id": world.id, "randomNumber": world.randomnumber})


def multiple_queries(request):
    n = int_param(request, "q", 1, 1, 500)
    worlds = [World.objects.get(id=random.randint(1, 10000)) for _ in range(n)]
    return JsonResponse([{"id": w.id, "randomNumber": w.randomnumber} for w in worlds], safe=False)


def fortunes(request):
    rows = list(Fortune.objects.all())
    rows.append(Fortune(id=0, message="Additional fortune added at request time."))
    rows.sort(key=lambda f: f.message)
    return render(request, "fortunes.html", {"fortunes": rows})


def updates(request):
    n = int_param(request, "q", 1, 1, 500)
    # distinct ids: every returned row is the row's final value in the database
    ids = sorted(random.sample(range(1, 10001), n))
    worlds = [World.objects.get(id=i) for i in ids]
    for w in worlds:
        w.randomnumber = random.randint(1, 10000)
    World.objects.bulk_update(worlds, ["randomnumber"])  # one transaction
    return JsonResponse([{"id": w.id, "randomNumber": w.randomnumber} for w in worlds], safe=False)


def io(request):
    waited = int_param(request, "ms", 50, 0, 10000)
    time.sleep(waited / 1000)  # a sync worker waits, as Django code does
    return JsonResponse({"waited_ms": waited})


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


def cpu(request):
    n = int_param(request, "n", 10000, 1, 1000000)
    return JsonResponse({"n": n, "primes": count_primes(n)})


def numeric(request):
    n = int_param(request, "n", 100000, 1, 1000000)
    x = (np.arange(n, dtype=np.int64) * 7919 % 10007) / 10007.0
    total = x.sum()
    return JsonResponse(
        {
            "n": n,
            "sum": float(total),
            "mean": float(total / n),
            "std": float(x.std()),
            "dot": float(x @ x[::-1]),
        }
    )
