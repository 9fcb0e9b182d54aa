"""Settings for Kinovi Web, read from the environment in this one place.

The defaults run the embedded setup (SQLite, local files, the bundled Kinovi
simulator); every value an operator changes at scale is an environment variable
listed in the README.
"""

import datetime as dt
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from projects.kinovi import request as kinovi_request
from projects.kinovi import uploads as kinovi_uploads

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
# The SQLite file, local media and the generated key live here; SQLite cannot
# create the folder of its file.
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _local_secret_key() -> str:
    """A random key kept in VAR_DIR, so a fresh checkout needs no configuration."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or _local_secret_key()
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
_site = urlsplit(SITE_URL)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", f"127.0.0.1,localhost,{_site.hostname}")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", f"{_site.scheme}://{_site.netloc}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "storages",
    "axes",
    "projects",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "projects.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A view losing the database (a restart) answers 503, not 500.
    "projects.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before anything reads request.POST (CsrfViewMiddleware does).
    "projects.middleware.RequestSizeLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "projects.middleware.CurrentTeamMiddleware",
    "projects.middleware.TimeZoneMiddleware",
    # Last: it answers a sign-in refused for too many failures.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kinovi_web.urls"
WSGI_APPLICATION = "kinovi_web.wsgi.application"
ASGI_APPLICATION = "kinovi_web.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "projects.context_processors.current_team",
                "projects.context_processors.navigation",
                "projects.context_processors.kinovi_alerts",
                "projects.context_processors.single_sign_on",
            ],
        },
    },
]

# Database: SQLite file by default; DATABASE_URL=postgres://... at scale.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'kinovi.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker share the file: WAL lets readers run beside
    # the writer, IMMEDIATE transactions take the write lock up front instead of
    # failing half-way, and the busy timeout waits for it.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so that tests can use several connections at once
    # (concurrent workers, the live server); one per process.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Database sessions that know their user, so that removing a member or "sign out
# everywhere" ends every session of theirs at once.
SESSION_ENGINE = "projects.sessions"
# Sign-in throttling (django-axes): after 5 failed sign-ins for one (username, IP)
# pair within 15 minutes, that pair is refused until 15 minutes have passed since its
# last failure. Never by username alone: nobody can lock someone else out from
# elsewhere. Each failure is logged and kept (AccessFailureLog, in the admin).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("SIGN_IN_LOCKOUT_MINUTES", 15))
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Log the username and address of each failure (never the password, which axes drops).
AXES_SENSITIVE_PARAMETERS = []
AXES_LOCKOUT_CALLABLE = "projects.views.accounts.locked_out"
AXES_CLIENT_IP_CALLABLE = "projects.views.accounts.client_ip"
AXES_WHITELIST_CALLABLE = "projects.sso.is_single_sign_on_attempt"
# How many proxies in front of the app append to X-Forwarded-For; 0 uses REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
LOGIN_URL = "login"

# Optional single sign-on (OpenID Connect, mozilla-django-oidc): on only when
# OIDC_RP_CLIENT_ID is set. Off, its URLs answer 404 and its backend is not loaded.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = "openid email profile"
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "single sign-on")
OIDC_AUTHENTICATION_CALLBACK_URL = "sso_callback"
OIDC_TIMEOUT = 10
OIDC_USE_PKCE = True
if OIDC_ENABLED:
    _missing = [
        name
        for name in (
            "OIDC_RP_CLIENT_SECRET",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
        )
        if not globals()[name]
    ]
    if _missing:
        raise ImproperlyConfigured(f"Single sign-on needs {', '.join(_missing)}.")
    AUTHENTICATION_BACKENDS.append("projects.sso.SingleSignOnBackend")
LOGIN_REDIRECT_URL = "project_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Static files: whitenoise serves them, compressed and cache-busted when collected.
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)

# Reference and output files. Kinovi fetches references by URL, so every stored
# file has an absolute public URL: SITE_URL + MEDIA_URL + key on local storage,
# the bucket's public URL on S3.
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGE_BUCKET = os.environ.get("STORAGE_BUCKET", "")
if STORAGE_BUCKET:
    _s3_options = {
        "bucket_name": STORAGE_BUCKET,
        "endpoint_url": os.environ.get("STORAGE_ENDPOINT_URL") or None,
        "access_key": os.environ.get("STORAGE_ACCESS_KEY_ID") or None,
        "secret_key": os.environ.get("STORAGE_SECRET_ACCESS_KEY") or None,
        "region_name": os.environ.get("STORAGE_REGION") or None,
        "custom_domain": os.environ.get("STORAGE_PUBLIC_DOMAIN") or None,
        "url_protocol": os.environ.get("STORAGE_PUBLIC_PROTOCOL", "https:"),
        "addressing_style": os.environ.get("STORAGE_ADDRESSING_STYLE", "path"),
        "default_acl": "public-read",
        "querystring_auth": False,
        "file_overwrite": False,
    }
    _default_storage = {"BACKEND": "kinovi_web.storage.S3Storage", "OPTIONS": _s3_options}
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and not WHITENOISE_USE_FINDERS
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads above this size stream to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Upload caps, in megabytes.
UPLOAD_MAX_IMAGE_MB = env_int("UPLOAD_MAX_IMAGE_MB", 20)
UPLOAD_MAX_VIDEO_MB = env_int("UPLOAD_MAX_VIDEO_MB", 200)
UPLOAD_MAX_AUDIO_MB = env_int("UPLOAD_MAX_AUDIO_MB", 50)

# Kinovi. Without an API key the app talks to the bundled simulator.
KINOVI_SIMULATOR_KEY = os.environ.get("KINOVI_SIMULATOR_KEY", "sim-local-key")
KINOVI_SIMULATOR_PORT = env_int("KINOVI_SIMULATOR_PORT", 8765)
KINOVI_API_KEY = os.environ.get("KINOVI_API_KEY", "")
KINOVI_USES_SIMULATOR = not KINOVI_API_KEY
if KINOVI_USES_SIMULATOR:
    KINOVI_API_KEY = KINOVI_SIMULATOR_KEY
KINOVI_BASE_URL = os.environ.get(
    "KINOVI_BASE_URL",
    f"http://127.0.0.1:{KINOVI_SIMULATOR_PORT}/api/v1"
    if KINOVI_USES_SIMULATOR
    else "https://kinovi.ai/api/v1",
).rstrip("/")
KINOVI_MAX_CONCURRENT_TASKS = env_int("KINOVI_MAX_CONCURRENT_TASKS", 5)
# Kinovi documents two shapes of createTask inputs (see projects/kinovi/request.py) and
# silently ignores fields it doesn't know: the seed's "urls" unless told otherwise.
KINOVI_REQUEST_SHAPE = os.environ.get("KINOVI_REQUEST_SHAPE", kinovi_request.URLS_SHAPE)
if KINOVI_REQUEST_SHAPE not in kinovi_request.REQUEST_SHAPES:
    raise ImproperlyConfigured(
        f"KINOVI_REQUEST_SHAPE must be one of {', '.join(kinovi_request.REQUEST_SHAPES)}, "
        f"not {KINOVI_REQUEST_SHAPE!r}"
    )
# The resolution the seed's per-second prices pay for; empty leaves the field out.
KINOVI_OUTPUT_RESOLUTION = os.environ.get(
    "KINOVI_OUTPUT_RESOLUTION", kinovi_request.DEFAULT_OUTPUT_RESOLUTION
)
if KINOVI_OUTPUT_RESOLUTION not in ("", *kinovi_request.OUTPUT_RESOLUTIONS):
    raise ImproperlyConfigured(
        "KINOVI_OUTPUT_RESOLUTION must be empty or one of "
        f"{', '.join(kinovi_request.OUTPUT_RESOLUTIONS)}, not {KINOVI_OUTPUT_RESOLUTION!r}"
    )
# How often the worker asks Kinovi about a task in flight; after how many tries a
# createTask that keeps meeting 5xx or no connection fails (refunded); after how many
# minutes without an end a task becomes `unknown` for an admin to look at.
KINOVI_POLL_SECONDS = float(os.environ.get("KINOVI_POLL_SECONDS", "5"))
# How long the worker waits for an answer from Kinovi's API.
KINOVI_TIMEOUT_SECONDS = float(os.environ.get("KINOVI_TIMEOUT_SECONDS", "30"))
KINOVI_MAX_ATTEMPTS = env_int("KINOVI_MAX_ATTEMPTS", 6)
# After a 429 (Kinovi's concurrency limit) that no task of ours ending explains, dispatching
# pauses this long, doubling with each 429 in a row up to the maximum.
KINOVI_REFUSAL_PAUSE_SECONDS = float(os.environ.get("KINOVI_REFUSAL_PAUSE_SECONDS", "2"))
KINOVI_REFUSAL_PAUSE_MAX_SECONDS = float(os.environ.get("KINOVI_REFUSAL_PAUSE_MAX_SECONDS", "30"))
# The first wait before retrying a createTask that met an error; it doubles each time.
KINOVI_RETRY_SECONDS = float(os.environ.get("KINOVI_RETRY_SECONDS", "2"))
KINOVI_STUCK_MINUTES = env_int("KINOVI_STUCK_MINUTES", 30)
# Minutes an unknown video without a task id (its create answer lost) waits for a webhook
# naming its task before it fails as never confirmed by Kinovi (refunded); longer than
# Kinovi's longest generation.
KINOVI_UNKNOWN_RESOLVE_AFTER = env_int("KINOVI_UNKNOWN_RESOLVE_AFTER", 30)
# The largest output video the worker copies into our storage, and how long it may take.
KINOVI_DOWNLOAD_MAX_MB = env_int("KINOVI_DOWNLOAD_MAX_MB", 500)
KINOVI_DOWNLOAD_TIMEOUT_SECONDS = env_int("KINOVI_DOWNLOAD_TIMEOUT_SECONDS", 300)
# References go to Kinovi by their storage URL, or first through Kinovi's uploads:
# `auto` uploads them when Kinovi can't reach that URL (see projects/kinovi/uploads.py).
KINOVI_REFERENCE_UPLOADS = os.environ.get("KINOVI_REFERENCE_UPLOADS", kinovi_uploads.AUTO)
if KINOVI_REFERENCE_UPLOADS not in kinovi_uploads.MODES:
    raise ImproperlyConfigured(
        f"KINOVI_REFERENCE_UPLOADS must be one of {', '.join(kinovi_uploads.MODES)}, "
        f"not {KINOVI_REFERENCE_UPLOADS!r}"
    )

# The worker.
WORKER_POLL_SECONDS = float(os.environ.get("WORKER_POLL_SECONDS", "1"))
WORKER_LEASE_SECONDS = env_int("WORKER_LEASE_SECONDS", 120)
# The bearer token Prometheus sends to /metrics; unset, /metrics does not exist.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# How often each worker records that it is alive (readiness wants a beat within 30 s).
WORKER_HEARTBEAT_SECONDS = float(os.environ.get("WORKER_HEARTBEAT_SECONDS", "5"))

# Mail (budget warnings): printed to the console unless an SMTP host is configured.
EMAIL_SMTP_HOST = os.environ.get("EMAIL_SMTP_HOST", "")
if EMAIL_SMTP_HOST:
    _mailer = {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": EMAIL_SMTP_HOST,
            "port": env_int("EMAIL_SMTP_PORT", 587),
            "username": os.environ.get("EMAIL_SMTP_USER", ""),
            "password": os.environ.get("EMAIL_SMTP_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_SMTP_STARTTLS", True),
            "timeout": 10,
        },
    }
else:
    _mailer = {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
MAILERS = {"default": _mailer}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Kinovi Web <kinovi@localhost>")

# HTTPS hardening follows SITE_URL: served over https, everything is strict.
_https = _site.scheme == "https"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _https)
# A balancer probes over plain HTTP, behind the proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
# Pages carry the CSRF token themselves (hx-headers, forms): no script needs the cookie.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if _https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _https
SECURE_HSTS_PRELOAD = _https
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Every handler formats through RedactingFormatter: no line holds a callback token
# (kinovi_web/logs.py). runserver's request lines (django.server) and a production
# server's (gunicorn.access, gunicorn.error) come through the same handler.
_REQUEST_LINES = {"handlers": ["console"], "level": "INFO", "propagate": False}


def _storage_origins() -> list[str]:
    """Where stored files are served from, when not from the app itself."""
    if not STORAGE_BUCKET:
        return []
    if domain := os.environ.get("STORAGE_PUBLIC_DOMAIN"):
        return [f"{os.environ.get('STORAGE_PUBLIC_PROTOCOL', 'https:')}//{domain}"]
    if endpoint := os.environ.get("STORAGE_ENDPOINT_URL"):
        parts = urlsplit(endpoint)
        return [f"{parts.scheme}://{parts.netloc}"]
    return [f"https://{STORAGE_BUCKET}.s3.amazonaws.com", "https://*.amazonaws.com"]


# Content Security Policy (Django's own middleware): scripts and styles only from our
# static files (no inline code or style attributes anywhere), media from the storage.
STORAGE_ORIGINS = _storage_origins()
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:", *STORAGE_ORIGINS],
    "media-src": [CSP.SELF, "blob:", *STORAGE_ORIGINS],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# Browser features no page of the app uses.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), browsing-topics=()"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "kinovi_web.logs.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Each 4xx would be logged twice under runserver: by django.request ("Not Found:
        # /x") and by django.server's request line. Keep the request line; django.request
        # still logs 5xx with their traceback.
        "django.request": {"level": "ERROR"},
        "django.server": _REQUEST_LINES,
        "gunicorn.access": _REQUEST_LINES,
        "gunicorn.error": _REQUEST_LINES,
        # Axes announces its configuration at every start (the worker's output too);
        # its sign-in failures and lockouts (axes.handlers) are warnings and stay.
        "axes.apps": {"level": "WARNING"},
    },
}
