"""The dashboard's forms (Flask-WTF: each carries and checks a CSRF token)."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class SignInForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    next = HiddenField()


class SecondFactorForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    repeat = PasswordField(_l("New password again"), validators=[DataRequired(), Length(max=256)])


class OperatorForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    role = SelectField(_l("Role"), default="support")

    def __init__(self, *args, **kwargs):
        from wxauth.dashboard.labels import role_choices

        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class SettingsForm(FlaskForm):
    time_zone = SelectField(_l("Time zone"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone.choices = sorted(available_timezones())


class ClientForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    scopes = SelectMultipleField(_l("Scopes"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        from wxauth.services.clients import SCOPES

        super().__init__(*args, **kwargs)
        self.scopes.choices = [(s, s) for s in SCOPES]


class WebhookForm(FlaskForm):
    url = StringField(_l("URL"), validators=[DataRequired(), Length(max=2048)])
    events = SelectMultipleField(_l("Events"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        from wxauth.webhooks.outbox import EVENTS

        super().__init__(*args, **kwargs)
        self.events.choices = [(e, e) for e in EVENTS]


class ProvisionForm(FlaskForm):
    appid = SelectField(_l("Mini-program"))
    phones = TextAreaField(_l("Phone numbers"), validators=[DataRequired(), Length(max=20000)])

    def __init__(self, *args, **kwargs):
        from wxauth import settings

        super().__init__(*args, **kwargs)
        self.appid.choices = settings.apps().choices()
