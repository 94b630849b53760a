import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Import every view (and the statistics stack behind the reports) when the worker starts, so
# the first request after a start or a worker recycle is not the one that waits ~10 s for it.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018
