"""Defaults; secrets and the database URL come from the environment."""

import os
from datetime import timedelta

DEV_SECRET_KEY = "dev-only-not-secret"


def database_url(instance_path: str) -> str:
    """Return DATABASE_URL, or the SQLite file in the instance folder."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "tend.sqlite3")
    # Hosting platforms still hand out postgres:// URLs; SQLAlchemy wants a driver name.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load(instance_path: str) -> dict:
    """Build the configuration from defaults and the environment."""
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SECURE_COOKIES", "0") == "1",
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": os.environ.get("SECURE_COOKIES", "0") == "1",
        "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
        # The offline queue and long forms outlive Flask-WTF's one-hour default.
        "WTF_CSRF_TIME_LIMIT": None,
        "PASSWORD_HASHER": "argon2",
    }
