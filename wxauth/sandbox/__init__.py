"""The built-in stand-in for WeChat's server API, mounted at /_sandbox/ in sandbox mode only.

`/_sandbox/wechat/...` serves WeChat's endpoints on their real paths with WeChat's
semantics; `/_sandbox/api/...` is a control API to mint codes, make legacy encrypted data
and inject faults. The app's WeChat client reaches it over real HTTP. `/_sandbox/` itself
is a mini-program simulator for the browser.
"""

from flask import Blueprint, Flask

from wxauth.sandbox.store import SandboxStore

bp = Blueprint("sandbox", __name__, url_prefix="/_sandbox")


def init_app(app: Flask) -> None:
    app.extensions["wxauth.sandbox"] = SandboxStore(app.extensions["wxauth.settings"].sandbox_db)
    from wxauth.sandbox import control, simulator, wechat_api  # noqa: F401 - registers the views on bp

    app.register_blueprint(bp)


def store() -> SandboxStore:
    from flask import current_app

    return current_app.extensions["wxauth.sandbox"]
