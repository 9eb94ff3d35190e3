"""Defaults; secrets and the database URL come from the environment."""

import os
from datetime import timedelta

DEV_SECRET_KEY = "dev-only-not-secret"


def database_url(instance_path: str) -> str:
    """Return DATABASE_URL, or the SQLite file in the instance folder."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "tend.sqlite3")
    return with_driver(url)


def with_driver(url: str) -> str:
    """Name psycopg 3 in a PostgreSQL URL; leave any other URL as it is."""
    # Hosting platforms still hand out postgres:// URLs; SQLAlchemy wants a driver name.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def instance_secret(instance_path: str) -> str:
    """Return the key kept in instance/secret_key (made by `make`), or the development key."""
    try:
        with open(os.path.join(instance_path, "secret_key"), encoding="utf-8") as handle:
            return handle.read().strip() or DEV_SECRET_KEY
    except FileNotFoundError:
        return DEV_SECRET_KEY


def env_int(name: str, default: int) -> int:
    """Return a whole number from the environment, or the default when unset or empty."""
    return int(os.environ.get(name, "").strip() or default)


def load(instance_path: str) -> dict:
    """Build the configuration from defaults and the environment."""
    secure = os.environ.get("SECURE_COOKIES", "0") == "1"
    remember_days = env_int("REMEMBER_DAYS", 30)
    url = database_url(instance_path)
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or instance_secret(instance_path),
        "SQLALCHEMY_DATABASE_URI": url,
        # A server's connection can drop between requests, so it is pinged before use; a SQLite
        # file can't, and the ping would be one more statement on every request.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not url.startswith("sqlite")},
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        # Browsers take a __Host- cookie only when Secure, on Path=/ and without Domain, so no
        # subdomain and no plain-HTTP page can plant or overwrite it; over HTTP, plain names.
        "SESSION_COOKIE_NAME": "__Host-tend_session" if secure else "session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_NAME": "__Host-tend_remember" if secure else "remember_token",
        "REMEMBER_COOKIE_DURATION": timedelta(days=remember_days),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        # The share cookie lives on Path=/s/, so it can have __Secure- but not __Host-.
        "SHARE_COOKIE_NAME": "__Secure-tend_share" if secure else "tend_share",
        # How long a login lasts (parenting/sessions.py). Without "remember me": until
        # SESSION_IDLE_MINUTES without a request, and SESSION_ABSOLUTE_HOURS at most. With it:
        # REMEMBER_DAYS after the password was typed, however it is used.
        "SESSION_IDLE_MINUTES": env_int("SESSION_IDLE_MINUTES", 30),
        "SESSION_ABSOLUTE_HOURS": env_int("SESSION_ABSOLUTE_HOURS", 12),
        "REMEMBER_DAYS": remember_days,
        # How long the signed session cookie stays readable after it was last written.
        "PERMANENT_SESSION_LIFETIME": timedelta(days=remember_days),
        # The offline queue and long forms outlive Flask-WTF's one-hour default.
        "WTF_CSRF_TIME_LIMIT": None,
        "PASSWORD_HASHER": "argon2",
        # Hostnames the app answers to (comma-separated); empty means any, for development.
        "TRUSTED_HOSTS": [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",")
                          if h.strip()] or None,
        # How many proxies sit in front (X-Forwarded-For/Proto/Host); 0 trusts none.
        # The languages Tend speaks (parenting/translations/); the first is the fallback.
        "LANGUAGES": ["en", "es"],
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0") or 0),
        # Web Push (parenting/push.py): without a key, one is made in instance/ on first use.
        "VAPID_PRIVATE_KEY": os.environ.get("VAPID_PRIVATE_KEY", "").strip(),
        # Who push services may contact about this server: mailto:… or https://…
        "VAPID_SUBJECT": os.environ.get("VAPID_SUBJECT", "").strip(),
    }


def check_production(config: dict, debug: bool) -> None:
    """Refuse to start outside debug mode with the development secret key."""
    if debug or config.get("TESTING"):
        return
    key = config.get("SECRET_KEY") or ""
    if key == DEV_SECRET_KEY or len(key) < 32:
        raise RuntimeError(
            "Set SECRET_KEY to a long random value (at least 32 characters), for example "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`, "
            "or set FLASK_DEBUG=1 for local development."
        )
