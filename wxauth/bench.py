"""The benchmark's baseline: a bare JSON endpoint, mounted only when WXAUTH_BENCH=1.

`bench/run` reports every figure as a ratio against `GET /_bench/ping`, served by the same
app in the same gunicorn workers, so the ratio measures what wxauth adds to a request and
not what Flask, gunicorn or the machine cost. Never mounted otherwise.
"""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify

bp = Blueprint("bench", __name__, url_prefix="/_bench")


@bp.get("/ping")
def ping():
    return jsonify(ok=True)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
