"""GET /healthz: 200 when the database answers, 503 otherwise."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from wxauth.extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger("wxauth.health")


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("health check: database unavailable (%s)", type(exc).__name__)
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")
