"""Settings, read from the environment (names are a contract: see ../shared/DESIGN.md §3).

With no environment at all the project runs on SQLite, the in-memory channel layer, a local-memory
cache and a filesystem Celery broker in .celery/ (no server needed). DATABASE_URL and REDIS_URL
switch to PostgreSQL and Redis.
"""

import contextlib
import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Django's own --deploy check wants 50 characters; a shorter key is refused outside DEBUG, not just warned on.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if DEBUG and not SECRET_KEY:
    SECRET_KEY = "dev-only-insecure-key-change-me"  # the local demo (scripts/run sets DJANGO_DEBUG=1)
elif not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set. Outside DEBUG the server will not start on a public default key "
        "(sessions and password-reset links would be forgeable). Set DJANGO_SECRET_KEY to a random string of "
        f"at least {SECRET_KEY_MIN_LENGTH} characters, e.g. the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`, "
        "or DJANGO_DEBUG=1 for the local demo."
    )
elif not DEBUG and len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH:
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY is {len(SECRET_KEY)} characters long; outside DEBUG it must have at least "
        f"{SECRET_KEY_MIN_LENGTH} (`python -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="").rstrip("/")
_public = urlsplit(PUBLIC_BASE_URL)
# Each silenced check says why, next to where it is silenced.
SILENCED_SYSTEM_CHECKS: list[str] = []
if PUBLIC_BASE_URL and (_public.scheme not in ("http", "https") or not _public.netloc):
    raise ImproperlyConfigured(
        f"PUBLIC_BASE_URL must be an http(s) origin such as https://x.example.com, not {PUBLIC_BASE_URL!r}"
    )
if _public.scheme == "https":
    # Behind HTTPS: TLS ends at the proxy, which must set X-Forwarded-Proto (and overwrite a client's own).
    # Plain-HTTP requests are redirected, except the health URLs, which load balancers and orchestrators
    # probe over plain HTTP on the private network.
    if f"https://{_public.netloc}" not in CSRF_TRUSTED_ORIGINS:
        CSRF_TRUSTED_ORIGINS.append(f"https://{_public.netloc}")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^health/ready/$"]  # matched against the path without its "/"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = (
        True  # the header comes from the app's own host: it covers its subdomains only
    )
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # security.W021 (no HSTS preload): preloading binds the whole registered domain in browsers for
        # months; that is the domain owner's decision (DJANGO_HSTS_PRELOAD=1), not this app's default.
        SILENCED_SYSTEM_CHECKS.append("security.W021")

INSTALLED_APPS = [
    "daphne",
    # The admin theme (sidebar, Today dashboard); before the admin so its templates win. Its basic app
    # config, because the default one replaces admin.site with its own and GuardedAdminSite (an
    # UnfoldAdminSite) would be lost; see dealership/core/admin_input.py.
    "unfold.apps.BasicAppConfig",
    "unfold.contrib.import_export",  # the theme's templates for django-import-export; before it
    "dealership.core.admin_apps.GuardedAdminConfig",  # django.contrib.admin, see admin_input.py
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_celery_beat",
    "axes",
    "import_export",
    "dealership.core",
    "crm",
    "scheduling",
    "voice",
    "reminders",
    "integrations",
    "insights",  # the dashboard: its rollup of settled days (insights.models.CallDay)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dealership.core.admin_csp.AdminCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "dealership.core.middleware.ShopTimeZoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes asks: it turns a lockout flagged during authentication into the 429 answer.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy (django-csp) on every response: only our own origin's scripts, styles, images
# and fonts; no inline script, eval, plugin, framing, <base> or off-site form target. A page that needs
# more loosens it for that view only (csp.decorators), with the reason beside it; a browser test visits
# every admin page in Chromium and fails on any violation. Styles too stay 'self' only: the stock Django
# 5.2 admin needs no inline style (its one <style>, in change_list.html, appears only for a ModelAdmin
# with actions_on_top and actions_on_bottom both False; none of ours is).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# The admin alone is loosened, in dealership/core/admin_csp.py (ADMIN_CSP_UPDATE), with the reasons there.

# The customer import (crm/admin_import.py): one transaction per import, rolled back after the preview and
# on any failing row.
IMPORT_EXPORT_USE_TRANSACTIONS = True

ROOT_URLCONF = "dealership.urls"
ASGI_APPLICATION = "dealership.asgi.application"

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
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Every wait on the database has a bound (Twilio gives a webhook 15 s in all). libpq's connect
    # timeout cannot go below 2 s; TCP keep-alives and a user timeout drop a connection whose server
    # vanished (no reset ever arrives) instead of leaving a query waiting for minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": env.int("DB_CONNECT_TIMEOUT", default=2),
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 5,
            "keepalives_count": 3,
            "tcp_user_timeout": 15000,  # ms of unacknowledged data before the socket is given up
        }
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool("DB_POOL", default=False):
    # The web process (dealership.serve turns DB_POOL on). A live call touches the database a dozen
    # times, and a connection per call saturated the database thread under a burst of call starts
    # (bench/calls.py); persistent connections are no answer under ASGI, where every HTTP request runs
    # in a thread of its own and would leave its connection behind. A pool lends to any thread.
    # Its engine drains the pool when a lent connection turns out dead (killed backends, restart).
    DATABASES["default"]["ENGINE"] = "dealership.core.pooled_postgresql"
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 2,
        "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
        # Seconds a request waits for a connection. With the database down every request waits
        # this long before its fallback answer (webhooks and /health/ must answer within 2 s), and
        # a healthy pool lends in microseconds, so a longer wait only means an overloaded database.
        "timeout": env.float("DB_POOL_TIMEOUT", default=1.5),
        # psycopg retries a lost connection with a doubling back-off; after this many seconds it
        # gives up that chain and the next request starts a fresh attempt. Without the bound a
        # database back after a minute's outage waited up to another minute for the pool to notice.
        "reconnect_timeout": 5.0,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # the pool checks a connection before lending it
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web process and the Celery worker share the demo database.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The back office's theme (django-unfold): the shop's name in the header, the Today page as home,
# navigation grouped around an advisor's day (dealership/core/navigation.py).
UNFOLD = {
    "SITE_TITLE": "dealership.core.navigation.site_title",
    "SITE_HEADER": "dealership.core.navigation.site_title",
    "SITE_SUBHEADER": "Back office",
    "SITE_URL": "/admin/",  # "View site" leads home: the product has no public site of its own
    "SITE_SYMBOL": "car_repair",
    "SITE_FAVICONS": [{"rel": "icon", "type": "image/svg+xml", "href": "dealership.core.navigation.favicon"}],
    "SHOW_VIEW_ON_SITE": False,
    "DASHBOARD_CALLBACK": "dealership.core.today.dashboard_callback",
    "STYLES": ["dealership.core.navigation.stylesheets"],
    "SIDEBAR": {
        "show_search": False,
        "show_all_applications": False,
        "navigation": "dealership.core.navigation.sidebar",
    },
}

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub: control messages to a live call are fire-and-forget, and a listener cancels at
            # once when the call ends (the core layer's shared 5 s BZPOPMIN delays it).
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # Pub/sub channels are server-wide, whatever the database number in REDIS_URL: without a
            # prefix of its own, two deployments (or test runs) on one Redis end each other's calls.
            # A bounded connect: a control message to a call must not hang on a vanished Redis.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_connect_timeout": 2}],
                "prefix": env.str(
                    "CHANNEL_LAYER_PREFIX",
                    default="dealership-db" + (urlsplit(REDIS_URL).path.strip("/") or "0"),
                ),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that vanished fails a cache call in seconds instead of hanging the request.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis when REDIS_URL is set. Without it, kombu's filesystem transport in a local ignored
# directory: it needs no server and works across processes, so the web process (admin "send now")
# and the worker that `bash scripts/run` starts share one queue.
CELERY_FILESYSTEM_BROKER_DIR = Path(
    env.str("CELERY_FILESYSTEM_BROKER_DIR", default=str(BASE_DIR / ".celery"))
)
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    # Bounded waits: a booking's after-commit enqueue must not hang a request when Redis is down.
    {"socket_connect_timeout": 2, "socket_timeout": 5}
    if REDIS_URL
    else {
        "data_folder_in": str(CELERY_FILESYSTEM_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_BROKER_DIR / "queue"),
        "control_folder": str(CELERY_FILESYSTEM_BROKER_DIR / "control"),
    }
)
if not REDIS_URL:
    for _folder in ("queue", "control"):
        # The transport needs the folders to exist; a read-only disk only matters if tasks are sent.
        with contextlib.suppress(OSError):
            (CELERY_FILESYSTEM_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Opt-outs received are appended here first (fsynced) and applied to the database, so one texted while
# the database is down is never lost (reminders/opt_out_spool.py). Must be on persistent disk.
OPT_OUT_SPOOL_DIR = Path(env.str("OPT_OUT_SPOOL_DIR", default=str(BASE_DIR / "spool")))
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
# One task at a time per worker process: reminder deliveries are short and must not queue up
# behind each other inside a process that could die holding them.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded Celery worker writes to the same SQLite file as the web process. Taking the write
    # lock when a transaction begins makes a second writer wait (busy timeout) instead of failing at
    # once with "database is locked" when two transactions both try to upgrade a read lock.
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")

# After signing in at /admin/login/ without ?next= (the admin theme's login form carries none), go to
# Today rather than Django's default /accounts/profile/, which does not exist here.
LOGIN_REDIRECT_URL = "/admin/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed admin logins and failed tools-API keys, counted per client address by django-axes in the Django
# cache (Redis when REDIS_URL is set, so every web process sees the same count); see
# dealership/core/throttle.py. The address is REMOTE_ADDR, which the web server (dealership.serve) takes
# from X-Forwarded-For only when the peer is a trusted proxy (FORWARDED_ALLOW_IPS).
AUTHENTICATION_BACKENDS = [
    "dealership.core.throttle.AxesRequestBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_CLIENT_IP_CALLABLE = "dealership.core.throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "dealership.core.throttle.lockout_response"
AXES_ENABLE_ADMIN = False  # its admin pages list database records, which the cache handler never writes
if not REDIS_URL:
    # axes.W001 (cache handler on the local-memory cache): without REDIS_URL there is one web process
    # (dealership.serve refuses WEB_CONCURRENCY > 1), so its own cache sees every failed login.
    SILENCED_SYSTEM_CHECKS.append("axes.W001")

LANGUAGE_CODE = "en-us"
FORMAT_MODULE_PATH = ["dealership.formats"]  # 12-hour times without seconds ("8:00 AM"), see there
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Call recordings (and any other upload) go to Django's default storage: this folder unless STORAGES
# names another backend (an S3-compatible bucket through django-storages: see the README).
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media/"  # never served by us: recordings are played through the admin's own view
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Providers: each integration is on exactly when its credentials are present.
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_PHONE_NUMBER = env.str("TWILIO_PHONE_NUMBER", default="")
TWILIO_API_BASE_URL = env.str("TWILIO_API_BASE_URL", default="").rstrip("/")
TWILIO_VALIDATE_SIGNATURES = env.bool("TWILIO_VALIDATE_SIGNATURES", default=True)
# Seconds a worker waits on one Twilio REST request before the outcome counts as unknown.
TWILIO_HTTP_TIMEOUT = env.float("TWILIO_HTTP_TIMEOUT", default=10.0)

# Email for alerts (dealership.core.alerts): SMTP when EMAIL_HOST is set, else printed to the log.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)  # seconds: a dead mail server must not hang a worker
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="receptionist@localhost")
TRANSFER_PHONE_NUMBER = env.str("TRANSFER_PHONE_NUMBER", default="")
OUTBOUND_CALL_ALLOWLIST = env.list("OUTBOUND_CALL_ALLOWLIST", default=[])

OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-4o")
OPENAI_REALTIME_MODEL = env.str("OPENAI_REALTIME_MODEL", default="gpt-realtime-2.1")
OPENAI_VOICE = env.str("OPENAI_VOICE", default="marin")

DEEPGRAM_API_KEY = env.str("DEEPGRAM_API_KEY", default="")
DEEPGRAM_BASE_URL = env.str("DEEPGRAM_BASE_URL", default="").rstrip("/")
DEEPGRAM_STT_MODEL = env.str("DEEPGRAM_STT_MODEL", default="nova-3")
DEEPGRAM_TTS_MODEL = env.str("DEEPGRAM_TTS_MODEL", default="aura-2-thalia-en")
# Speech recognition language: "multi" (Nova-3 multilingual: English and Spanish on one stream, each
# result tagged with the languages heard), or one code such as "en" to recognise a single language.
DEEPGRAM_STT_LANGUAGE = env.str("DEEPGRAM_STT_LANGUAGE", default="multi")


def _tts_voices(raw: str) -> dict[str, str]:
    """DEEPGRAM_TTS_VOICES "en=aura-2-thalia-en,es=aura-2-celeste-es": a voice per language code.
    Spanish defaults to a Spanish Aura-2 voice; a language without one uses DEEPGRAM_TTS_MODEL."""
    voices = {"es": "aura-2-celeste-es"}
    for pair in filter(None, (part.strip() for part in raw.split(","))):
        code, sep, voice = (piece.strip() for piece in pair.partition("="))
        if not sep or not code or not voice:
            raise ImproperlyConfigured(f"DEEPGRAM_TTS_VOICES: {pair!r} is not language=voice")
        voices[code.lower()] = voice
    return voices


DEEPGRAM_TTS_VOICES = _tts_voices(env.str("DEEPGRAM_TTS_VOICES", default=""))

VOICE_ENGINE = env.str("VOICE_ENGINE", default="cascade")
# The engine by the number called (Twilio's "To"), e.g. "+13125550100=realtime,+13125550101=cascade";
# numbers not listed use VOICE_ENGINE. A stream <Parameter name="engine"> still wins for one call.
VOICE_ENGINE_BY_NUMBER = env.dict("VOICE_ENGINE_BY_NUMBER", default={})


def _json_object(name: str) -> dict | None:
    raw = env.str(name, default="").strip()
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object, not {type(value).__name__}")
    return value


# The realtime engine's server-side turn detection, as the Realtime API takes it, e.g.
# '{"type": "server_vad", "silence_duration_ms": 600}' or '{"type": "semantic_vad", "eagerness": "low"}';
# unset = server_vad with 500 ms of silence. And the model that transcribes the caller's speech.
REALTIME_TURN_DETECTION = _json_object("REALTIME_TURN_DETECTION")
REALTIME_TRANSCRIPTION_MODEL = env.str("REALTIME_TRANSCRIPTION_MODEL", default="gpt-4o-mini-transcribe")

# Live-call limits (seconds): a stream must send `start` within VOICE_STREAM_START_TIMEOUT; the caller is
# prompted after VOICE_IDLE_SECONDS of silence and released after a second prompt; calls end politely
# at VOICE_MAX_CALL_SECONDS.
VOICE_STREAM_START_TIMEOUT = env.float("VOICE_STREAM_START_TIMEOUT", default=5.0)
VOICE_IDLE_SECONDS = env.float("VOICE_IDLE_SECONDS", default=12.0)
VOICE_MAX_CALL_SECONDS = env.int("VOICE_MAX_CALL_SECONDS", default=900)
VOICE_TIME_LIMIT_GRACE_SECONDS = env.int("VOICE_TIME_LIMIT_GRACE_SECONDS", default=30)

# The live-calls board (voice.live): each web process refreshes its calls every
# LIVE_CALL_HEARTBEAT_SECONDS; a call not refreshed for LIVE_CALL_TTL_SECONDS (its process died) leaves.
LIVE_CALL_HEARTBEAT_SECONDS = env.float("LIVE_CALL_HEARTBEAT_SECONDS", default=2.0)
LIVE_CALL_TTL_SECONDS = env.float("LIVE_CALL_TTL_SECONDS", default=3 * LIVE_CALL_HEARTBEAT_SECONDS)

GOOGLE_CALENDAR_ID = env.str("GOOGLE_CALENDAR_ID", default="")
GOOGLE_SERVICE_ACCOUNT_FILE = env.str("GOOGLE_SERVICE_ACCOUNT_FILE", default="")
GOOGLE_CLIENT_ID = env.str("GOOGLE_CLIENT_ID", default="")
GOOGLE_CLIENT_SECRET = env.str("GOOGLE_CLIENT_SECRET", default="")
GOOGLE_REFRESH_TOKEN = env.str("GOOGLE_REFRESH_TOKEN", default="")
GOOGLE_API_BASE_URL = env.str("GOOGLE_API_BASE_URL", default="").rstrip("/")
GOOGLE_TOKEN_URI = env.str("GOOGLE_TOKEN_URI", default="")

TOOLS_API_KEY = env.str("TOOLS_API_KEY", default="")
TOOLS_API_KEY_MIN_LENGTH = 32
if TOOLS_API_KEY and len(TOOLS_API_KEY) < TOOLS_API_KEY_MIN_LENGTH:
    raise ImproperlyConfigured(
        f"TOOLS_API_KEY is {len(TOOLS_API_KEY)} characters long; it must have at least "
        f"{TOOLS_API_KEY_MIN_LENGTH} (`python -c 'import secrets; print(secrets.token_urlsafe(32))'`), "
        "or be unset to turn the tools API off."
    )

# Bearer token for GET /metrics (Prometheus); unset = /metrics answers 404. See dealership.metrics.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
