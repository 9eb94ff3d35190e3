"""Languages: which one a page speaks, the picker's cookie, and the strings the scripts need.

The language is the logged-in user's stored choice, else the `tend_lang` cookie the logged-out
picker sets, else the browser's Accept-Language, else English. Translations live in
parenting/translations/<lang>/LC_MESSAGES/parts/*.po (see tools/i18n.py and docs in README).
"""

from functools import cache

import flask_babel
from flask import Flask, current_app, has_request_context, request
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
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
    "queue.an_entry": _l("An entry"),
    "queue.field_child": _l("Child"),
    "queue.field_need": _l("Need"),
    "queue.field_time": _l("Time"),
    "queue.field_reconnected": _l("Reconnected"),
    "queue.clash": _l("It clashes with an entry already saved."),
    "queue.refused": _l("The server refused it (%(error)s)."),
    "queue.login_again": _l("Please log in again — your entries are kept on this phone."),
    "queue.log_in": _l("Log in"),
    "queue.waiting": _l("Saved on this phone — waiting to send (%(count)s)"),
    "queue.send_now": _l("Send now (%(count)s)"),
    "queue.not_accepted": _l("%(entry)s wasn't accepted. %(reason)s"),
    "queue.fix_it": _l("Fix it"),
    "queue.try_again": _l("Try again"),
    "queue.discard": _l("Discard"),
    "queue.not_sent": _l("not sent — see above"),
    "queue.waiting_to_send": _l("waiting to send"),
    "queue.saved": _l("Saved."),
    "queue.not_saved_yet": _l("Not saved yet — %(reason)s"),
    "queue.saved_here": _l("%(entry)s saved on this phone."),
    "queue.saved_here_at": _l("%(entry)s saved on this phone at %(time)s."),
    "queue.logged_at": _l("%(entry)s logged at %(time)s."),
    "queue.not_logged": _l("%(entry)s wasn't logged."),
    "queue.fix_this": _l("Fix this entry and save it again. %(reason)s"),
    "queue.logout_one": _l("%(count)s entry hasn't been sent yet. Log out and delete them?"),
    "queue.logout_other": _l("%(count)s entries haven't been sent yet. Log out and delete them?"),
    "queue.sending": _l("Sending…"),
    "queue.discard_confirm": _l("Discard this entry? It hasn't been saved anywhere else."),
    # household: static/js/reminders.js
    "reminders.unsupported": _l("This browser can't show reminders. On iPhone and iPad, add Tend "
                                "to your Home Screen and open it from there."),
    "reminders.blocked": _l("Notifications are switched off for Tend in this browser's settings. "
                            "Allow them there to get reminders here."),
    "reminders.this_device": _l("This device gets reminders. Choose which ones below."),
    "reminders.set_up_again": _l("Set up this device again"),
    "reminders.need_permission": _l("Reminders need permission to show notifications. Nothing "
                                    "has changed."),
    "reminders.failed": _l("Reminders couldn't be turned on here just now (%(error)s). Please try "
                           "again later."),
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
    return browser()


def browser() -> str:
    """Return the app's language closest to what the browser asks for, else English."""
    return request.accept_languages.best_match(languages(), default=DEFAULT)


def current() -> str:
    """Return this request's language code ("en", "es")."""
    return str(get_locale() or DEFAULT)


def js_catalogue() -> dict[str, str]:
    """Return the scripts' strings in this request's language."""
    return translated_js_strings(current())


@cache
def translated_js_strings(language: str) -> dict[str, str]:
    """Return JS_STRINGS in `language`, the current one; every page sends them, so once each."""
    return {key: str(text) for key, text in JS_STRINGS.items()}


def _translations():
    """Return the catalogue RequestDomain holds for this request's locale, else look it up."""
    # A page's template translates ~40 strings; Flask-Babel's own callables go through the `g`
    # proxy five times for each. The held pair is keyed on the locale object, which
    # force_locale swaps, so a stale one is never used.
    app_ctx = _cv_app.get(None)
    if app_ctx is not None:
        state = app_ctx.g.__dict__
        held = state.get("_tend_translations")
        babel_state = state.get("_flask_babel")
        if held is not None and held[0] is getattr(babel_state, "babel_locale", None):
            return held[1]
    return get_translations()


def gettext(string: str, **variables) -> str:
    """Translate like flask_babel.gettext, through the catalogue held for this request.

    Flask-Babel's own costs ~6 us a string (the `g` proxy several times over), the held
    catalogue ~0.5; a weekly summary's sentences and labels translate about a hundred strings.
    """
    text = _translations().ugettext(string)
    return text % variables if variables else text


class HeldLazyString(LazyString):
    """A lazy_gettext string that reads itself through the catalogue held for the request."""

    def __init__(self, string: str) -> None:
        super().__init__(flask_babel.gettext, string)
        self.msgid = string

    def __str__(self) -> str:
        # What flask_babel.gettext gives for a string without variables, at a tenth of the cost:
        # a summary page reads some forty labels of needs, responses and routines.
        return gettext(self.msgid)


def lazy_gettext(string: str) -> LazyString:
    """Mark a string for translation, translated each time it is read (like flask_babel's)."""
    return HeldLazyString(string)


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """Translate like flask_babel.ngettext (num is a variable too), through the held catalogue."""
    variables.setdefault("num", num)
    return _translations().ungettext(singular, plural, num) % variables


def init_app(app: Flask) -> None:
    app.config.setdefault("LANGUAGES", ["en", "es"])
    babel.init_app(app, locale_selector=select_locale, default_domain="messages")
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @app.context_processor
    def language_helpers():
        return {"current_language": current, "language_names": NAMES,
                "js_catalogue": js_catalogue}
