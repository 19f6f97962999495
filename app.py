"""Entry point: `flask --app app …` and `gunicorn "app:app"` find the app here."""

from wxauth.factory import create_app

app = create_app()

__all__ = ["app", "create_app"]
