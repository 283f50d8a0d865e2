"""Production settings for benchmarks on one machine (`./portal bench`, see bench/README.md).

Everything is production's (DEBUG off, whitenoise, database sessions, the whole middleware
stack) except what plain HTTP on loopback cannot do, and two clocks that would make the figures
depend on the hour the benchmark runs:
- no HTTPS redirect, HSTS or secure-only cookies (the load generator speaks plain HTTP);
- calling hours for the intake queue and for texts and calls span the whole day, so that 'Next
  call', claim-next and reminder dispatch do the same work at 3 a.m. as at noon (the calling-hours
  test is still computed for every row and message);
- the bench-only views (the floor and the 14-day availability) are switched on;
- e-mail goes to memory instead of an SMTP server."""

from .production import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

CALLING_HOURS_START = 0
CALLING_HOURS_END = 24

# The bench-only views (bench/views.py) are routed by the benchmark's own URLconf.
ROOT_URLCONF = "bench.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405

# The outbox gateway hands e-mails to Django's back-end: keep them in memory, so that dispatch is
# measured without an SMTP server (production has one; a refused connection would retry forever).
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
