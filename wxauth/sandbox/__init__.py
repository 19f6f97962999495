"""The built-in stand-in for WeChat's server API, mounted at /_sandbox/ in sandbox mode only.

`/_sandbox/wechat/...` serves WeChat's endpoints on their real paths with WeChat's
semantics; `/_sandbox/api/...` is a control API to mint codes, make legacy encrypted data
and inject faults. The app's WeChat client reaches it over real HTTP. `/_sandbox/` itself
is a mini-program simulator for the browser.
"""

from flask import Blueprint, Flask, request

from wxauth import settings
from wxauth.api.errors import http_error_json, json_errors
from wxauth.errors import answer_unmatched
from wxauth.extensions import csrf
from wxauth.sandbox.store import SandboxStore

bp = Blueprint("sandbox", __name__, url_prefix="/_sandbox")
# The machine-facing parts answer errors as the API does; the simulator's pages, as pages.
JSON_PREFIXES = ("/_sandbox/api/", "/_sandbox/wechat/")
json_errors(bp, applies=lambda: request.path.startswith(JSON_PREFIXES))


def init_app(app: Flask) -> None:
    from wxauth.sandbox import control, simulator, wechat_api  # noqa: F401 - their routes are declared on bp

    app.extensions["wxauth.sandbox"] = SandboxStore(app.extensions[settings.EXTENSION].sandbox_db)
    csrf.exempt(bp)  # called by programs, and guarded against cross-site use (control.py)
    app.register_blueprint(bp)
    for prefix in JSON_PREFIXES:
        answer_unmatched(app, prefix, http_error_json)


def store() -> SandboxStore:
    from flask import current_app

    return current_app.extensions["wxauth.sandbox"]
