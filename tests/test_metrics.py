"""GET /metrics: Prometheus text, protected, counting what operators alert on."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def _samples(resp) -> dict:
    out = {}
    for family in text_string_to_metric_families(resp.get_data(as_text=True)):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def _value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)


def test_metrics_count_logins_wechat_calls_phone_and_failures(client, api, sandbox):
    before = _samples(client.get("/metrics"))
    s = api.login()
    api.post("/api/auth/phone", s, json={"code": sandbox.phone_code(s.openid)})
    api.post("/api/auth/phone", s, json={"code": "bogus"})
    api.post("/api/auth/phone", s, json={"encryptedData": "@@", "iv": "AAAAAAAAAAAAAAAAAAAAAA=="})
    client.post("/api/auth/login", json={"code": "f" * 32})
    after = _samples(client.get("/metrics"))

    def delta(name, **labels):
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert delta("wxauth_logins_total", outcome="success") == 1
    assert delta("wxauth_logins_total", outcome="invalid_code") == 1
    assert delta("wxauth_wechat_calls_total", endpoint="/sns/jscode2session", result="0") == 1
    assert delta("wxauth_wechat_calls_total", endpoint="/sns/jscode2session", result="40029") == 1
    assert delta("wxauth_wechat_call_seconds_count", endpoint="/sns/jscode2session") == 2
    assert delta("wxauth_phone_api_calls_total", outcome="success") == 1
    assert delta("wxauth_phone_api_calls_total", outcome="errcode_40029") == 1
    assert delta("wxauth_decrypt_failures_total", kind="phone_encrypted", reason="bad_base64") == 1
    assert delta("wxauth_access_token_refreshes_total", outcome="success") == 1


def test_metrics_are_for_loopback_or_token_holders(client, app, override_settings):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 403
    override_settings(metrics_token="m-token-123")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    resp = client.get("/metrics", headers={"Authorization": "Bearer m-token-123"}, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
