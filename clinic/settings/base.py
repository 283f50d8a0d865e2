"""Settings shared by every environment. Everything that differs between machines comes from
the environment (or a .env file beside manage.py, which the set-up script writes when it has to
start private PostgreSQL or Redis servers)."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "clinic.admin_site.ClinicAdminConfig",  # Django's admin, grouped as a clinic thinks
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "phonenumber_field",
    "django_celery_beat",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # The floors (docs/DEVELOPING.md): clinic <- scheduling <- billing <- intake <- reporting,
    # demo <- wiring (the root URLconf and the event subscriber table).
    "clinic",
    "intake",
    "scheduling",
    "billing",
    "outcomes",
    "waitlist",
    "reporting",
    "demo",
    "wiring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "clinic.i18n.PreferredLanguageMiddleware",  # a signed-in patient's own language
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "wiring.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

# Two engines, and every template folder belongs to exactly one of them:
# - Jinja2 (first, so it is asked first) reads the portal's own folders, templates/ and each
#   portal app's templates/, under the names they always had ("intake/queue.html"): every page,
#   fragment and e-mail of the portal. Its environment is clinic/jinja2.py.
# - Django's template language reads every other app's templates/ (the admin, the API docs,
#   Django's form widgets), and the message wording admins edit (clinic/messaging, stored as
#   Django-template strings). Its loader skips the portal's folders, so no name is served by both.
PORTAL_TEMPLATE_DIRS = [BASE_DIR / "templates"] + [
    BASE_DIR / app / "templates"
    for app in ("intake", "scheduling", "billing", "outcomes", "waitlist")
]
_CONTEXT_PROCESSORS = [
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
    "clinic.context_processors.navigation",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": PORTAL_TEMPLATE_DIRS,
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "clinic.jinja2.environment",
            "extensions": ["jinja2.ext.i18n"],
            # request comes from the back-end itself; csrf_input and csrf_token from clinic.jinja2.
            "context_processors": [*_CONTEXT_PROCESSORS[1:], "clinic.jinja2.csrf"],
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "OPTIONS": {
            "context_processors": _CONTEXT_PROCESSORS,
            "loaders": ["clinic.jinja2.OtherAppsLoader"],
        },
    },
]

# Form fields drawn by Jinja2 too (Django's own widget templates); the admin's from Django's.
FORM_RENDERER = "clinic.forms.PortalFormRenderer"

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/clinic"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "clinic.User"
AUTHENTICATION_BACKENDS = [
    "clinic.auth_backends.EmailOrPhoneBackend",
    # Clinic admins may open the settings they configure (clinic.admin_site), nothing else.
    "clinic.auth_backends.ClinicAdminBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# The server's own zone only matters for logs and the admin; pages show each location's or
# patient's zone.
TIME_ZONE = env("TIME_ZONE", default="America/New_York")

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploaded referral documents are PHI: kept outside the static and media web roots and only
# served through views that check who is asking.
PRIVATE_STORAGE_ROOT = Path(env("PRIVATE_STORAGE_ROOT", default=str(BASE_DIR / "var" / "private")))
# The referral API carries its documents base64-encoded in the JSON body: 5 files of 10 MB are
# about 67 MB of JSON. (Web uploads stream to disk and do not count against this.) A larger
# body is answered 413 by the API.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 10 * 1024 * 1024 * 4 // 3 + 1024 * 1024

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The one place periodic work is declared. django-celery-beat copies these entries into its
# tables at start-up, where a clinic admin can see them.
CELERY_BEAT_SCHEDULE = {
    # Every minute, prove that beat and a worker are alive; /healthz reports the last beat.
    "worker-heartbeat": {
        "task": "clinic.tasks.record_heartbeat",
        "schedule": timedelta(minutes=1),
    },
    # Every night, drop heartbeats older than a day so the table stays tiny.
    "prune-heartbeats": {
        "task": "clinic.tasks.prune_heartbeats",
        "schedule": crontab(hour=3, minute=17),
    },
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Clinic <no-reply@clinic.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

CLINIC_NAME = env("CLINIC_NAME", default="Harbor Headache & Infusion Clinic")
CLINIC_PHONE = env("CLINIC_PHONE", default="+1 555 010 0100")
PHONENUMBER_DEFAULT_REGION = "US"
PHONENUMBER_DB_FORMAT = "E164"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "clinic.views.csrf_failure"  # the portal's own 403 page, in the user's language
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["clinic.api_parsers.BoundedJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Clinic referral API",
    "DESCRIPTION": "Submit and follow referrals from an EHR.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page's scripts come from our own static files: the portal works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "intake.api.schema_postprocess",  # unknown fields refused, active locations listed
    ],
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "filters": {
        # While PostgreSQL is down every request fails the same way: one line each, no traceback.
        "database_down": {"()": "clinic.errors.DatabaseDownLogFilter"},
        # The development server's access log without query strings (searches carry names); in
        # production gunicorn's access log format does the same (gunicorn.conf.py).
        "drop_query_strings": {"()": "clinic.logfilters.DropQueryStrings"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["drop_query_strings"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"filters": ["database_down"]},
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # The twilio library logs every request's method, address and headers at INFO (11 lines
        # a send): noise in the worker's log, and the address names the recipient's number.
        "twilio.http_client": {"level": "WARNING"},
    },
}

# --- The portal's public address ---
# Absolute links (e-mails, texts) and the address Twilio calls back (status callbacks, call
# keypresses): where patients reach the portal, no trailing slash. MESSAGING_PUBLIC_BASE_URL is
# its former name for Twilio, still read when SITE_URL is not set. In development it follows the
# address `./portal run` serves (HOST, and PORT, which the script hands on as PORTAL_PORT), so an
# invitation never points at port 8000 when the portal runs on 8765.
_dev_host = env("HOST", default="127.0.0.1")
_dev_host = "127.0.0.1" if _dev_host in ("", "0.0.0.0", "::") else _dev_host  # noqa: S104
_dev_port = env("PORTAL_PORT", default=env("PORT", default="8000"))
SITE_URL = env(
    "SITE_URL", default=env("MESSAGING_PUBLIC_BASE_URL", default=f"http://{_dev_host}:{_dev_port}")
).rstrip("/")

# --- Scheduling (infusion courses and sessions) ---
# How long a chosen time is kept for a patient while they confirm it.
SCHEDULING_HOLD_MINUTES = env.int("SCHEDULING_HOLD_MINUTES", default=5)
# Start times are offered every this many minutes from opening.
SCHEDULING_SLOT_MINUTES = env.int("SCHEDULING_SLOT_MINUTES", default=30)
SCHEDULING_ICS_DOMAIN = env("SCHEDULING_ICS_DOMAIN", default="clinic.example")

# --- Calling hours (clinic/calling_hours.py) ---
# The patient's local hours in which the clinic may call or text them: the intake queue offers a
# case only then, and reminder texts and calls go out only then. START is the first hour, END
# the first hour outside (8 and 21: 8:00 to 20:59).
CALLING_HOURS_START = env.int("CALLING_HOURS_START", default=8)
CALLING_HOURS_END = env.int("CALLING_HOURS_END", default=21)

# --- Migraine outcomes (outcomes/) ---
# The hour, in the patient's own zone, at which the daily diary text goes out (evening: the day
# is nearly over) and the follow-up questionnaires' texts (mid-morning). Both are kept inside the
# calling hours above: an hour outside them is moved to the nearest hour inside.
OUTCOMES_DIARY_PROMPT_HOUR = env.int("OUTCOMES_DIARY_PROMPT_HOUR", default=18)
OUTCOMES_QUESTIONNAIRE_HOUR = env.int("OUTCOMES_QUESTIONNAIRE_HOUR", default=10)

# --- Intake call queue ---
INTAKE_CLAIM_MINUTES = env.int("INTAKE_CLAIM_MINUTES", default=15)
# None: retry the next business day at 09:00 in the patient's zone; a number: that many hours.
INTAKE_RETRY_DELAY_HOURS = env.int("INTAKE_RETRY_DELAY_HOURS", default=None)
INTAKE_MAX_ATTEMPTS = env.int("INTAKE_MAX_ATTEMPTS", default=3)
INTAKE_ATTEMPT_WINDOW_DAYS = env.int("INTAKE_ATTEMPT_WINDOW_DAYS", default=7)
INVITATION_VALID_HOURS = env.int("INVITATION_VALID_HOURS", default=72)

# --- Messaging: reminder texts, calls and e-mails (clinic/messaging) ---
# Which gateway sends: the outbox (nothing leaves; see /messaging/outbox/) or Twilio + e-mail.
MESSAGING_GATEWAY = env("MESSAGING_GATEWAY", default="clinic.messaging.gateways.OutboxGateway")
# The neutral name texts and calls use: it must not name a drug, a diagnosis or the treatment.
MESSAGING_SENDER_NAME = env("MESSAGING_SENDER_NAME", default="Harbor Clinic")
MESSAGING_EMAIL_FROM = env("MESSAGING_EMAIL_FROM", default=DEFAULT_FROM_EMAIL)
# A claim left unsent this long was abandoned by a dead worker and goes back to the queue.
MESSAGING_CLAIM_TIMEOUT = timedelta(seconds=env.int("MESSAGING_CLAIM_TIMEOUT_SECONDS", default=120))
MESSAGING_MAX_ATTEMPTS = 5
MESSAGING_RETRY_BASE = timedelta(minutes=1)  # 1, 2, 4, 8 minutes between attempts
# Called as hook(user=..., reply=...) when a patient confirms by text (C) or keypress (1).
MESSAGING_CONFIRM_HOOK = env(
    "MESSAGING_CONFIRM_HOOK", default="scheduling.services.session_confirm_next"
)
# R / "cambiar" by text: a signed link to move the next session (scheduling).
MESSAGING_RESCHEDULE_HOOK = env(
    "MESSAGING_RESCHEDULE_HOOK", default="scheduling.links.reschedule_link_reply"
)
# YES / SI / ACEPTO by text with a waitlist offer waiting for an answer: take it.
MESSAGING_OFFER_ACCEPT_HOOK = env(
    "MESSAGING_OFFER_ACCEPT_HOOK", default="waitlist.replies.offer_accept_by_reply"
)
# No message, e-mail, calendar file or call may contain these (clinic.messaging.wording), matched
# without regard to case or accents and with their plurals: migraña also catches "migranas".
MESSAGING_FORBIDDEN_WORDS = env.list(
    "MESSAGING_FORBIDDEN_WORDS",
    default=[
        "ketamine",
        "ketamina",
        "esketamine",
        "esketamina",
        "spravato",
        "migraine",
        "migraña",
        "jaqueca",
        "headache",
        "dolor de cabeza",
        "cefalea",
        "depression",
        "depresión",
        "infusion",
        "infusión",
        "IV",
        "intravenous",
        "intravenosa",
        "intravenoso",
        "drug",
        "droga",
        "medication",
        "medicamento",
        "treatment",
        "tratamiento",
        "anesthetic",
        "anesthesia",
        "anestésico",
        "anestesia",
        "dissociative",
        "disociativo",
    ],
)
# The fax service signs each inbound fax with this shared secret (intake/inbox/webhook.py);
# empty refuses every fax.
FAX_WEBHOOK_SECRET = env("FAX_WEBHOOK_SECRET", default="")
# Outbound faxes (the fax-back telling a practice its faxed referral arrived): the adapter, and
# the fax service's REST API for clinic.messaging.fax.HttpFaxGateway.
MESSAGING_FAX_GATEWAY = env(
    "MESSAGING_FAX_GATEWAY", default="clinic.messaging.fax.OutboxFaxGateway"
)
FAX_API_BASE_URL = env("FAX_API_BASE_URL", default="https://api.phaxio.com/v2.1")
FAX_API_KEY = env("FAX_API_KEY", default="")
FAX_API_SECRET = env("FAX_API_SECRET", default="")
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER", default="")
TWILIO_API_BASE_URL = env("TWILIO_API_BASE_URL", default="https://api.twilio.com")
# --- Self-pay payments on Stripe (issue 23) ---
# Without a secret key the portal says "payments not configured" and charges nothing.
# STRIPE_API_BASE points the official library at another server (localstripe in tests and demos);
# STRIPE_JS_URL is where the card form loads Stripe.js from (localstripe serves a stand-in).
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
STRIPE_JS_URL = env("STRIPE_JS_URL", default="https://js.stripe.com/v3/")
STRIPE_TIMEOUT_SECONDS = env.int("STRIPE_TIMEOUT_SECONDS", default=20)
# A worker's claim on a charge older than this belongs to a dead worker: the next one settles it.
PAYMENTS_CLAIM_TIMEOUT_SECONDS = env.int("PAYMENTS_CLAIM_TIMEOUT_SECONDS", default=120)
CELERY_BEAT_SCHEDULE["charge-waiting-payments"] = {
    # Every five minutes, charge what waits (Stripe was down, or a worker died mid-charge).
    "task": "billing.payments.tasks.charge_waiting_payments",
    "schedule": timedelta(minutes=5),
}
CELERY_BEAT_SCHEDULE["issue-owed-estimates"] = {
    # Every minute, issue any Good Faith Estimate a course change owes whose task was lost (a
    # booking records what is owed and issues the estimate after its commit, not inside it).
    "task": "billing.tasks.issue_owed_estimates",
    "schedule": timedelta(minutes=1),
}
CELERY_BEAT_SCHEDULE["store-estimate-documents"] = {
    # Every minute, keep the document of any recent estimate issued without one whose task was
    # lost (estimates issued after a course change store theirs as they are issued).
    "task": "billing.tasks.store_missing_estimate_documents",
    "schedule": timedelta(minutes=1),
}
CELERY_BEAT_SCHEDULE["send-diary-prompts"] = {
    # Every 15 minutes, plan the evening diary prompts of patients whose evening has come.
    "task": "outcomes.tasks.send_diary_prompts",
    "schedule": timedelta(minutes=15),
}
CELERY_BEAT_SCHEDULE["refresh-dashboard-figures"] = {
    # Every 10 minutes (reporting.operations.kept.RECOUNT_EVERY), recompute the operations
    # dashboard's figures (the 90 days' of every scope, the responder rates): seconds of
    # counting on a large clinic, never in a page.
    "task": "reporting.tasks.refresh_dashboard_figures",
    "schedule": timedelta(minutes=10),
}
CELERY_BEAT_SCHEDULE["send-outcome-report-notices"] = {
    # Every hour, tell referring providers a report is ready (end of course, 1 and 3 months).
    "task": "intake.tasks.send_outcome_report_notices",
    "schedule": timedelta(hours=1),
}
# The waitlist (issue 24): how long each round of offers holds a freed time, and for how many
# patients at once, where a location has no rules of its own.
WAITLIST_OFFER_MINUTES = env.int("WAITLIST_OFFER_MINUTES", default=15)
WAITLIST_GROUP_SIZE = env.int("WAITLIST_GROUP_SIZE", default=3)
CELERY_BEAT_SCHEDULE["waitlist-next-rounds"] = {
    # Every minute, offer freed times whose round ran out to the next group (each round also
    # enqueues its own expiry; this catches one lost with a broker restart).
    "task": "waitlist.tasks.advance_due_rounds",
    "schedule": timedelta(minutes=1),
}
CELERY_BEAT_SCHEDULE["send-due-messages"] = {
    # Every minute, send the reminders and notices that are due (claimed under row locks).
    "task": "clinic.messaging.tasks.dispatch_due_messages",
    "schedule": timedelta(minutes=1),
}

# --- Security: sign-in lockout, staff two-factor, idle sign-out, CSP (issue 9) ---
INSTALLED_APPS += ["axes", "django_otp", "django_otp.plugins.otp_totp"]
# django-axes checks for a lockout before any other back-end is asked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", *AUTHENTICATION_BACKENDS]
_auth = MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
# django-otp's, reading the session's device from the row the user was read with.
MIDDLEWARE.insert(_auth + 1, "clinic.middleware.OTPMiddleware")
# After the messages and HTMX middleware, which they use.
MIDDLEWARE += [
    "clinic.middleware.IdleTimeoutMiddleware",
    "clinic.middleware.StaffTwoFactorMiddleware",
    "clinic.middleware.NoStoreMiddleware",
]
MIDDLEWARE.insert(0, "csp.middleware.CSPMiddleware")
# Before everything that reads the database, so /healthz says which service is down.
MIDDLEWARE.insert(0, "clinic.middleware.HealthCheckMiddleware")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # django-axes asks to be last
# Five wrong passwords for one account from one address pause it for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"  # the sign-in form's field (an e-mail or a phone)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Failures count against the account, however its e-mail or number is spelt.
AXES_USERNAME_CALLABLE = "clinic.auth_backends.lockout_username"
# The client's address (lockout and audit trail alike): X-Forwarded-For is believed only from
# the proxies named here (addresses or networks, comma-separated), or from TRUSTED_PROXY_COUNT
# proxies in a row. With neither, the header is ignored: see clinic/client_ip.py.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "clinic.client_ip.client_ip"
OTP_TOTP_ISSUER = CLINIC_NAME
STAFF_IDLE_TIMEOUT = timedelta(minutes=env.int("STAFF_IDLE_MINUTES", default=15))
PATIENT_IDLE_TIMEOUT = timedelta(minutes=env.int("PATIENT_IDLE_MINUTES", default=30))
# Scripts only from our own files (no inline scripts or handlers); Pico and a few templates use
# style attributes, hence 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
