"""The login a team writes itself from the tutorials: the baseline bench/run measures wxauth
against. Kept small and honest, neither tuned nor crippled.

Flask; one module-level requests.Session calling code2Session (as an SDK such as wechatpy
does); a Flask-SQLAlchemy model with a unique openid; filter_by().first(), then add or
update and commit; a login-log row and a second commit; an itsdangerous token.
"""

import os
from datetime import datetime, timezone

import requests
from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from itsdangerous import URLSafeTimedSerializer

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["PEER_DATABASE_URL"]
db = SQLAlchemy(app)
http = requests.Session()
tokens = URLSafeTimedSerializer(os.environ["PEER_SECRET_KEY"])
WECHAT, APPID, SECRET = os.environ["PEER_WECHAT_URL"], os.environ["PEER_APPID"], os.environ["PEER_SECRET"]


class PeerUser(db.Model):
    __tablename__ = "peer_users"
    id = db.Column(db.Integer, primary_key=True)
    openid = db.Column(db.String(64), unique=True, nullable=False)
    session_key = db.Column(db.String(64))
    created_at = db.Column(db.DateTime, nullable=False)
    last_login_at = db.Column(db.DateTime, nullable=False)


class PeerLoginLog(db.Model):
    __tablename__ = "peer_login_logs"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("peer_users.id"), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False)
    ip = db.Column(db.String(64))


@app.post("/api/auth/login")
def login():
    code = (request.get_json(silent=True) or {}).get("code")
    if not code:
        return jsonify(error="code required"), 400
    params = {"appid": APPID, "secret": SECRET, "js_code": code, "grant_type": "authorization_code"}
    data = http.get(f"{WECHAT}/sns/jscode2session", params=params, timeout=10).json()
    if "openid" not in data:
        return jsonify(error=data.get("errmsg", "login failed")), 401
    now = datetime.now(timezone.utc)
    user = PeerUser.query.filter_by(openid=data["openid"]).first()
    if user is None:
        user = PeerUser(openid=data["openid"], created_at=now)
        db.session.add(user)
    user.session_key = data["session_key"]
    user.last_login_at = now
    db.session.commit()
    db.session.add(PeerLoginLog(user_id=user.id, created_at=now, ip=request.remote_addr))
    db.session.commit()
    return jsonify(token=tokens.dumps({"uid": user.id}), user={"id": user.id, "openid": user.openid})


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")
