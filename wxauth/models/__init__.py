"""All models, imported here so Alembic and the app see one metadata."""

from wxauth.models.base import Base, utcnow
from wxauth.models.events import Failure, LoginEvent
from wxauth.models.sessions import ApiSession
from wxauth.models.tokens import AccessToken
from wxauth.models.users import User

__all__ = ["AccessToken", "ApiSession", "Base", "Failure", "LoginEvent", "User", "utcnow"]
