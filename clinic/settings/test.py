import os

from .base import *  # noqa: F403
from .base import REDIS_URL, env

# Playwright runs an event loop in the test thread; the ORM calls it makes through live_server
# fixtures are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DEBUG = False
SECRET_KEY = "test-only-key"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Tests talk to the real Redis, on a database number of their own so that a developer's running
# worker never picks up a task enqueued by a test (and runs it against the wrong database).
REDIS_URL = env("TEST_REDIS_URL", default=REDIS_URL.rsplit("/", 1)[0] + "/9")
CELERY_BROKER_URL = REDIS_URL
CELERY_BEAT_SCHEDULE = {}
PRIVATE_STORAGE_ROOT = BASE_DIR / "var" / "test-private"  # noqa: F405

# Served straight from the source folders; no collectstatic in development or tests.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
# A file is looked up when it is asked for, as in development (DEBUG turns this on there).
# Otherwise WhiteNoise indexes every static folder each time its middleware is built, and the
# test client builds the middleware anew for every client: about 35 ms for each of the suite's
# clients (one or more a test), for files hardly any test asks for.
WHITENOISE_AUTOREFRESH = True

# The benchmark's data generator (manage.py seed_scale); its views are routed only by
# clinic.settings.bench.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
FAX_WEBHOOK_SECRET = "test-fax-secret"
