"""WSGI entry point: gunicorn ringside.wsgi:application (HTTP scenarios)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ringside.settings")

application = get_wsgi_application()
