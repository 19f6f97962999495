"""The bare endpoint in a plain Flask app, served by the same gunicorn as wxauth: what
GET /_bench/ping costs without wxauth's request pipeline (request id, the request log line,
the shared headers, the extensions' hooks)."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/_bench/ping")
def ping():
    return jsonify(ok=True)
