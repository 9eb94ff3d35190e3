"""Languages: which one a page speaks, the picker's cookie, and the strings the scripts need.

The language is the logged-in user's stored choice, else the `tend_lang` cookie the logged-out
picker sets, else the browser's Accept-Language, else English. Translations live in
parenting/translations/<lang>/LC_MESSAGES/parts/*.po (see tools/i18n.py and docs in README).
"""

from flask import Flask, current_app, has_request_context, request
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .extensions import babel

COOKIE = "tend_lang"
COOKIE_DAYS = 365
DEFAULT = "en"
# Each language's name in itself, so anyone can find their own in the picker.
NAMES = {"en": "English", "es": "Español"}

# Strings the scripts in static/js show, by key; t("key") reads them there (static/js/tend.js).
# Keep the keys stable: the scripts use them. Placeholders are %(name)s, filled in by t().
JS_STRINGS = {
    "timer.done_short": _l("Done"),
    "timer.done": _l("Time's up. How did it go?"),
}


def languages() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def valid(code: str | None) -> str | None:
    """Return the code when it is one of the app's languages, else None."""
    return code if code in languages() else None


def select_locale() -> str:
    """Choose the language for this request: the user's, the cookie's, the browser's, English."""
    if not has_request_context():
        return DEFAULT  # the command line, and emails sent outside a request
    if current_user and current_user.is_authenticated:
        stored = valid(getattr(current_user, "locale", None))
        if stored:
            return stored
    cookie = valid(request.cookies.get(COOKIE))
    if cookie:
        return cookie
    return request.accept_languages.best_match(languages(), default=DEFAULT)


def current() -> str:
    """Return this request's language code ("en", "es")."""
    return str(get_locale() or DEFAULT)


def js_catalogue() -> dict[str, str]:
    """Return the scripts' strings in this request's language."""
    return {key: str(text) for key, text in JS_STRINGS.items()}


def for_user(user) -> force_locale:
    """Speak the user's stored language (emails), else English."""
    return force_locale(valid(getattr(user, "locale", None)) or DEFAULT)


def init_app(app: Flask) -> None:
    app.config.setdefault("LANGUAGES", ["en", "es"])
    babel.init_app(app, locale_selector=select_locale, default_domain="messages")

    @app.context_processor
    def language_helpers():
        return {"current_language": current, "language_names": NAMES,
                "js_catalogue": js_catalogue}
