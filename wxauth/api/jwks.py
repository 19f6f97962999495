"""GET /.well-known/jwks.json: the public keys that verify wxauth's JWT access tokens."""

from __future__ import annotations

from flask import Blueprint, jsonify

from wxauth.api.errors import json_errors
from wxauth.services import signing_keys

bp = Blueprint("wellknown", __name__, url_prefix="/.well-known")
json_errors(bp)

# Verifiers cache the set; one that meets an unknown kid fetches it again.
MAX_AGE = 300


@bp.get("/jwks.json")
def jwks_view():
    response = jsonify(signing_keys.jwks())
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response
