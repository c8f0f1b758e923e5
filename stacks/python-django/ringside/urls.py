"""The benchmark's URLs, on the views RINGSIDE_DJANGO_VIEWS names: the
synchronous views by default, the `async def` views of the `@asgi`
deployment when it is `async`. One list, so both deployments serve the same
routes."""

from django.conf import settings
from django.urls import path

if settings.RINGSIDE_VIEWS == "async":
    from world import async_views as views
else:
    from world import views

urlpatterns = [
    path("health", views.health),
    path("plaintext", views.plaintext),
    path("json", views.json_serialization),
    path("db", views.single_query),
    path("queries", views.multiple_queries),
    path("fortunes", views.fortunes),
    path("updates", views.updates),
    path("io", views.io),
    path("cpu", views.cpu),
    path("numeric", views.numeric),
]
