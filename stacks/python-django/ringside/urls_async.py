"""URLs of the async views (RINGSIDE_DJANGO_VIEWS=async, the `@asgi` deployment)."""

from django.urls import path

from world import async_views as views

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
