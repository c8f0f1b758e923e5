"""The contract as `async def` views, for Django under ASGI (`@asgi`).

Django documents async views for ASGI deployments: a sync view there runs in
a thread (`sync_to_async`), an async one on the event loop. The database goes
through the ORM's async API (`aget`, `async for`, `abulk_update`), which
Django documents for async views; it runs the queries in Django's
thread-sensitive executor, as it does for every async ORM call today.
`/cpu` and `/numeric` wait on nothing, so they run on the loop (as in the
FastAPI stack). The responses are those of `views.py`.
"""

import asyncio
import random

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from . import views
from .models import Fortune, World


async def health(request):
    if settings.RINGSIDE_DB:
        try:
            await World.objects.values_list("id").afirst()
        except Exception as exc:  # not ready yet: the harness polls again
            return HttpResponse(f"database not ready: {exc}", content_type="text/plain", status=503)
    return HttpResponse("ok", content_type="text/plain")


async def plaintext(request):
    return HttpResponse("Hello, World!", content_type="text/plain")


async def json_serialization(request):
    return JsonResponse({"message": "Hello, World!"})


async def single_query(request):
    world = await World.objects.aget(id=random.randint(1, 10000))
    return JsonResponse({"id": world.id, "randomNumber": world.randomnumber})


async def multiple_queries(request):
    n = views.int_param(request, "q", 1, 1, 500)
    worlds = [await World.objects.aget(id=random.randint(1, 10000)) for _ in range(n)]
    return JsonResponse([{"id": w.id, "randomNumber": w.randomnumber} for w in worlds], safe=False)


async def fortunes(request):
    rows = [f async for f in Fortune.objects.all()]
    rows.append(Fortune(id=0, message="Additional fortune added at request time."))
    rows.sort(key=lambda f: f.message)
    return render(request, "fortunes.html", {"fortunes": rows})


async def updates(request):
    n = views.int_param(request, "q", 1, 1, 500)
    # distinct ids, rows in id order (spec/fairness.md R7)
    ids = sorted(random.sample(range(1, 10001), n))
    worlds = [await World.objects.aget(id=i) for i in ids]
    for w in worlds:
        w.randomnumber = random.randint(1, 10000)
    await World.objects.abulk_update(worlds, ["randomnumber"])  # one statement
    return JsonResponse([{"id": w.id, "randomNumber": w.randomnumber} for w in worlds], safe=False)


async def io(request):
    waited = views.int_param(request, "ms", 50, 0, 10000)
    await asyncio.sleep(waited / 1000)
    return JsonResponse({"waited_ms": waited})


async def cpu(request):
    return views.cpu(request)


async def numeric(request):
    return views.numeric(request)
