from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# Printed with links' tokens masked; the whole message is kept in var/mail/ (clinic/mail.py).
EMAIL_BACKEND = env("EMAIL_BACKEND", default="clinic.mail.RedactedConsoleEmailBackend")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Served straight from the source folders; no collectstatic in development or tests.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True

# The console e-mail back-end prints each e-mail the worker sends; Celery would label every
# printed line a WARNING.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"

# The benchmark's data generator (manage.py seed_scale); its views are routed only by
# clinic.settings.bench.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
FAX_WEBHOOK_SECRET = env("FAX_WEBHOOK_SECRET", default="dev-only-fax-secret")  # noqa: F405
