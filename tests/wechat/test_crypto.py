"""Legacy open-data crypto against the reference's vectors."""

from __future__ import annotations

import base64

import pytest

from wxauth.wechat import crypto

APPID = "wx4f4bc4dec97d474b"
KEY = "tiihtNczf5v6AKRyjwEUhQ=="
IV = "r7BXXKkLb8qrSNn05n0qiA=="
ENCRYPTED = (
    "xT8p8W6jIVdEWQ+ccHuD2e4wlKOvkPACqSwR7g001A10cjwdM46gdn01GiQUKaqPzPDRMqCU65RqoH1SV87iasZARr/+0tJRzfFq"
    "QAAyBnqrunz9Sbe6xQGlPr95Uo9yHE/LKp97H4l9LFLl3jCYCYX3VHQfxTKDArCGxbNajS+Ddr0x/VEgMWyamZFQf54Du/xQ5mEl"
    "8viuEOVP283w5w=="
)


def test_reference_phone_vector_decrypts():
    data = crypto.decrypt(KEY, ENCRYPTED, IV, APPID)
    assert data == {
        "phoneNumber": "13800138000",
        "purePhoneNumber": "13800138000",
        "countryCode": "86",
        "watermark": {"timestamp": 1637744274, "appid": APPID},
    }


def test_other_appid_is_appid_mismatch():
    with pytest.raises(crypto.DecryptError) as err:
        crypto.decrypt(KEY, ENCRYPTED, IV, "wx0000000000000000")
    assert err.value.reason == crypto.APPID_MISMATCH


def test_wrong_key_is_bad_padding_or_not_json():
    wrong = base64.b64encode(b"\x01" * 16).decode()
    with pytest.raises(crypto.DecryptError) as err:
        crypto.decrypt(wrong, ENCRYPTED, IV, APPID)
    assert err.value.reason in (crypto.BAD_PADDING, crypto.NOT_JSON)


@pytest.mark.parametrize(
    ("key", "data", "iv", "reason"),
    [
        ("not base64!", ENCRYPTED, IV, crypto.BAD_BASE64),
        (KEY, ENCRYPTED, "%%%", crypto.BAD_BASE64),
        (KEY, "***", IV, crypto.BAD_BASE64),
        (KEY, ENCRYPTED, None, crypto.BAD_BASE64),
        (base64.b64encode(b"k" * 24).decode(), ENCRYPTED, IV, crypto.BAD_KEY_LENGTH),
        (KEY, ENCRYPTED, base64.b64encode(b"i" * 8).decode(), crypto.BAD_IV_LENGTH),
        (KEY, base64.b64encode(b"x" * 15).decode(), IV, crypto.BAD_CIPHERTEXT_LENGTH),
        (KEY, "", IV, crypto.BAD_CIPHERTEXT_LENGTH),
    ],
)
def test_malformed_inputs_are_classified(key, data, iv, reason):
    with pytest.raises(crypto.DecryptError) as err:
        crypto.decrypt(key, data, iv, APPID)
    assert err.value.reason == reason


def test_plaintext_that_is_not_json_is_not_json():
    blob = crypto.encrypt(KEY, IV, {"x": 1})  # valid JSON...
    # ...then re-encrypt a non-JSON plaintext with correct padding.
    from Crypto.Cipher import AES

    raw = AES.new(base64.b64decode(KEY), AES.MODE_CBC, base64.b64decode(IV)).encrypt(crypto.pkcs7_pad(b"\xff\xfenot json"))
    assert blob
    with pytest.raises(crypto.DecryptError) as err:
        crypto.decrypt(KEY, base64.b64encode(raw).decode(), IV, APPID)
    assert err.value.reason == crypto.NOT_JSON


def test_strict_pkcs7_rejects_inconsistent_padding():
    with pytest.raises(crypto.DecryptError):
        crypto.pkcs7_unpad(b"a" * 13 + b"\x01\x02\x03")
    with pytest.raises(crypto.DecryptError):
        crypto.pkcs7_unpad(b"a" * 15 + b"\x00")
    with pytest.raises(crypto.DecryptError):
        crypto.pkcs7_unpad(b"a" * 15 + b"\x11")
    assert crypto.pkcs7_unpad(b"a" * 13 + b"\x03\x03\x03") == b"a" * 13


def test_watermark_freshness_is_optional_and_enforced_when_set():
    data = crypto.encrypt(KEY, IV, {"watermark": {"appid": APPID, "timestamp": 1000}})
    assert crypto.decrypt(KEY, data, IV, APPID, max_age=0)["watermark"]["timestamp"] == 1000
    assert crypto.decrypt(KEY, data, IV, APPID, max_age=60, now=1059)
    with pytest.raises(crypto.DecryptError) as err:
        crypto.decrypt(KEY, data, IV, APPID, max_age=60, now=1061)
    assert err.value.reason == crypto.WATERMARK_EXPIRED


def test_round_trip_with_unicode():
    payload = {"nickName": "小明🐱", "watermark": {"appid": APPID, "timestamp": 1}}
    assert crypto.decrypt(KEY, crypto.encrypt(KEY, IV, payload), IV, APPID) == payload


def test_official_raw_data_signature_vector():
    raw = (
        '{"nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN",'
        '"avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/1vZvI39NWFQ9XM4LtQpFrQJ1xlgZxx3w7bQxKARol6503Iuswjjn6nIGBiaycA'
        'jAtpujxyzYsrztuuICqIM5ibXQ/0"}'
    )
    key = "HyVFkGl5F5OQWJZZaNzBBg=="
    assert crypto.raw_data_signature(raw, key) == "75e81ceda165f4ffa64f4068af58c64b8f54b88c"
    assert crypto.check_raw_data_signature(raw, key, "75E81CEDA165F4FFA64F4068AF58C64B8F54B88C")
    assert not crypto.check_raw_data_signature(raw, key, "75e81ceda165f4ffa64f4068af58c64b8f54b88d")
    assert not crypto.check_raw_data_signature(raw + " ", key, "75e81ceda165f4ffa64f4068af58c64b8f54b88c")


def test_official_login_state_signature_vectors():
    assert crypto.login_state_signature("o0q0otL8aEzpcZL/FT9WsQ==", '{"foo":"bar"}') == (
        "654571f79995b2ce1e149e53c0a33dc39c0a74090db514261454e8dbe432aa0b"
    )
    assert crypto.login_state_signature("tiihtNczf5v6AKRyjwEUhQ==") == (
        "7154f9f8b4b76b92f541cbf0e37d48840fa06e5e42da92a6f80168a1516a4735"
    )
