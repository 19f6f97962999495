"""The dashboard's forms (Flask-WTF: each carries and checks a CSRF token)."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class SignInForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    next = HiddenField()


class SettingsForm(FlaskForm):
    time_zone = SelectField("Time zone")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone.choices = sorted(available_timezones())


class ClientForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=64)])
    scopes = SelectMultipleField("Scopes", validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        from wxauth.services.clients import SCOPES

        super().__init__(*args, **kwargs)
        self.scopes.choices = [(s, s) for s in SCOPES]


class WebhookForm(FlaskForm):
    url = StringField("URL", validators=[DataRequired(), Length(max=2048)])
    events = SelectMultipleField("Events", validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        from wxauth.webhooks.outbox import EVENTS

        super().__init__(*args, **kwargs)
        self.events.choices = [(e, e) for e in EVENTS]


class ProvisionForm(FlaskForm):
    appid = SelectField("Mini-program")
    phones = TextAreaField("Phone numbers", validators=[DataRequired(), Length(max=20000)])

    def __init__(self, *args, **kwargs):
        from wxauth import settings

        super().__init__(*args, **kwargs)
        self.appid.choices = settings.apps().choices()
