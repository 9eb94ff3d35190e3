"""Unbound extension objects, so nothing imports the app to get `db`."""

from flask import g
from flask_babel import Babel, Domain, get_locale
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase
from werkzeug.utils import cached_property


class Base(DeclarativeBase):
    pass


class RequestDomain(Domain):
    """The message domain, holding on to this request's translations once it has found them."""

    def get_translations(self):
        # Flask-Babel finds the catalogue afresh for every string (~8 us: context, domain name,
        # str(locale), dict lookup) and a page translates a few hundred. The locale object is
        # the request's own, and force_locale swaps it, so it tells when the held one is stale.
        locale = get_locale()
        if locale is None:
            return super().get_translations()
        held = g.get("_tend_translations")
        if held is not None and held[0] is locale:
            return held[1]
        translations = super().get_translations()
        g._tend_translations = (locale, translations)
        return translations


class TendBabel(Babel):
    @cached_property
    def domain_instance(self):
        return RequestDomain(domain=self.domain)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = TendBabel()
