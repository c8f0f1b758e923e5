"""Django settings for the ringside reference stack (production mode)."""

import os
from urllib.parse import unquote, urlsplit

DEBUG = False
# No sessions, signing or auth: the key only has to exist.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "ringside-benchmark-no-secrets-here")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = ["world"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
# `async`: the contract as `async def` views (world/async_views.py), for the
# ASGI deployment (`@asgi`); otherwise the sync views of world/views.py.
RINGSIDE_VIEWS = os.environ.get("RINGSIDE_DJANGO_VIEWS", "sync").strip().lower()
if RINGSIDE_VIEWS not in ("sync", "async"):
    raise RuntimeError(f"RINGSIDE_DJANGO_VIEWS={RINGSIDE_VIEWS!r}: expected sync or async")
ROOT_URLCONF = "ringside.urls"
WSGI_APPLICATION = "ringside.wsgi.application"
ASGI_APPLICATION = "ringside.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {},
    }
]

USE_I18N = False
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"


# sqlite | postgres | "" (no database: /health says ok, database endpoints fail)
RINGSIDE_DB = os.environ.get("RINGSIDE_DB", "").strip().lower()


def _database(kind: str) -> dict:
    if kind == "sqlite":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ["RINGSIDE_SQLITE_PATH"],
            # sqlite3 busy timeout (s; spec/fairness.md R7: 5 s for every
            # stack): other workers write during /updates
            "OPTIONS": {"timeout": 5},
            "CONN_MAX_AGE": None,
        }
    if kind == "postgres":
        url = os.environ.get("RINGSIDE_PG_URL")
        if url:
            u = urlsplit(url)
            conn = {
                "HOST": u.hostname or "127.0.0.1",
                "PORT": str(u.port or 5432),
                "USER": unquote(u.username or "postgres"),
                "PASSWORD": unquote(u.password or ""),
                "NAME": u.path.lstrip("/") or "postgres",
            }
        else:
            env = os.environ.get
            conn = {
                "HOST": env("RINGSIDE_PG_HOST", "127.0.0.1"),
                "PORT": env("RINGSIDE_PG_PORT", "5432"),
                "USER": env("RINGSIDE_PG_USER", "postgres"),
                "PASSWORD": env("RINGSIDE_PG_PASSWORD", ""),
                "NAME": env("RINGSIDE_PG_DATABASE", "postgres"),
            }
        # psycopg 3 with Django's connection pool (psycopg_pool, Django 5.1+):
        # 8 connections a worker process, spec/fairness.md's rule for every
        # stack. A pool replaces persistent connections (CONN_MAX_AGE = 0).
        return {
            "ENGINE": "django.db.backends.postgresql",
            **conn,
            "CONN_MAX_AGE": 0,
            "OPTIONS": {"pool": {"min_size": 1, "max_size": 8}},
        }
    if kind:
        raise RuntimeError(f"RINGSIDE_DB={kind!r}: expected sqlite or postgres")
    return {}


DATABASES = {"default": _database(RINGSIDE_DB)} if RINGSIDE_DB else {}

# ws-chat rooms are Channels groups on the layer Channels documents for
# production: channels_redis, on the private redis-server that with_redis.py
# starts beside the ASGI server (RINGSIDE_REDIS_URL, a Unix socket). Without
# it (manage.py, a by-hand run) the in-memory layer, which Channels documents
# for testing and local development only: ringside never measures that one.
REDIS_URL = os.environ.get("RINGSIDE_REDIS_URL", "").strip()
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 1000},
        }
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": ["console"], "level": "ERROR"}},
}
