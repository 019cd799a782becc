"""The documented verification snippets (Python and openssl) accept Jifen's
signature and reject a tampered body, a wrong secret and an old timestamp."""

import asyncio
import time
from asyncio.subprocess import PIPE

import pytest

from services.points_api.webhooks.signing import sign
from tests.points_api.webhooks.helpers import (
    delivery_of,
    documented_snippet,
    documented_verifier,
    publish_now,
)

PAYLOAD = {"employee_no": "E1001", "employee_name": "张伟", "certification": "高级设备操作员",
           "salary_raise_percent": "8"}


async def _signed_request(gw, subscribe, receiver, points_db):
    sub = await subscribe(receiver.url, ["certification.granted"])
    event_id, _ = await publish_now(points_db, "certification.granted", PAYLOAD)
    [request] = await receiver.wait_for(event_id)
    await delivery_of(gw, sub["id"], event_id, status="delivered")
    return sub["secret"], request


async def test_signature_verifies_and_a_tampered_body_fails(gw, subscribe, receiver, points_db):
    secret, request = await _signed_request(gw, subscribe, receiver, points_db)
    verify = documented_verifier()
    assert verify(secret, request.headers, request.body)
    plain = {"Jifen-Timestamp": request.headers["Jifen-Timestamp"],
             "Jifen-Signature": request.headers["Jifen-Signature"]}
    assert verify(secret, plain, request.body)

    tampered = request.body.replace("高级设备操作员".encode(), "初级设备操作员".encode())
    assert tampered != request.body
    assert not verify(secret, request.headers, tampered)
    assert not verify(secret, request.headers, request.body + b" ")
    assert not verify(secret + "x", request.headers, request.body)
    assert not verify(secret, {**plain, "Jifen-Signature": "v0=" + plain["Jifen-Signature"][3:]},
                      request.body)
    # a captured request replayed later fails the timestamp check
    old = int(request.headers["Jifen-Timestamp"]) - 3600
    resigned = {"Jifen-Timestamp": str(old),
                "Jifen-Signature": f"v1={sign(secret, old, request.body)}"}
    assert not verify(secret, resigned, request.body)
    assert verify(secret, resigned, request.body, tolerance_seconds=7200)
    assert abs(int(request.headers["Jifen-Timestamp"]) - time.time()) < 60


@pytest.mark.parametrize("tamper", [False, True])
async def test_openssl_snippet(gw, subscribe, receiver, points_db, tmp_path, tamper):
    secret, request = await _signed_request(gw, subscribe, receiver, points_db)
    body = request.body + (b"\n" if tamper else b"")
    (tmp_path / "body.json").write_bytes(body)
    script = documented_snippet("bash", "openssl dgst")
    proc = await asyncio.create_subprocess_exec(
        "bash", "-c", script, cwd=tmp_path, stdout=PIPE, stderr=PIPE,
        env={"PATH": "/usr/bin:/bin", "SECRET": secret,
             "TS": request.headers["Jifen-Timestamp"],
             "SIG": request.headers["Jifen-Signature"]})
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    expected = (1, "signature INVALID") if tamper else (0, "signature valid")
    assert (proc.returncode, out.decode().strip()) == expected, err.decode()
