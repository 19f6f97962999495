"""The dashboard in the operator's language (Flask-Babel): Chinese (zh_Hans) by default,
English on request; dates in the operator's time zone, dates and numbers in the locale's form.

The catalogs are wxauth/translations/<locale>/LC_MESSAGES/messages.po; scripts/translations
extracts, updates and compiles them, and tests/dashboard/test_translations.py fails on any
message left untranslated in either.
"""

from __future__ import annotations

from flask import Flask, request, session
from flask_login import current_user

from wxauth import settings
from wxauth.extensions import babel
from wxauth.models.operators import DEFAULT_TIME_ZONE

# locale -> its name in its own language, for the switch
LOCALES = {"zh_Hans": "中文", "en": "English"}


def select_locale() -> str:
    """The operator's choice, else the one picked on the sign-in page, else the deployment's."""
    chosen = getattr(current_user, "locale", None) if current_user else None
    if chosen in LOCALES:
        return chosen
    if request and session.get("locale") in LOCALES:
        return session["locale"]
    return settings.current().dashboard_locale


def select_time_zone() -> str:
    return getattr(current_user, "time_zone", None) or DEFAULT_TIME_ZONE


def html_lang() -> str:
    return {"zh_Hans": "zh-Hans", "en": "en"}[select_locale()]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_time_zone)
    app.add_template_global(html_lang, "html_lang")
    app.jinja_env.globals["locales"] = LOCALES
