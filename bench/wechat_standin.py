"""A stand-in for WeChat's jscode2session with reusable load-test codes, on loopback.

The built-in sandbox makes codes single-use, as WeChat does, so a load test cannot replay
them. This answers `js_code=bench-<n>` with openid `o-bench-<n>` and a fixed session_key,
optionally after a fixed delay (WeChat's round trip from a server in China is tens to a
hundred milliseconds). It runs outside the measured server so it takes none of its worker
threads. One asyncio loop: a 100 ms wait costs a timer, not a thread.

    python bench/wechat_standin.py --port 9100 [--delay 0.1]

`bench/run` prefers nginx for the zero-delay case (cheaper on CPU than any Python server)
and uses this for the delayed one, or for everything when nginx is not installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from urllib.parse import parse_qs, urlsplit

SESSION_KEY = "YmVuY2gtc2Vzc2lvbi1rIQ=="  # base64 of 16 bytes, like WeChat's


def answer(target: str) -> bytes:
    url = urlsplit(target)
    query = parse_qs(url.query)
    if url.path == "/sns/jscode2session":
        code = query.get("js_code", [""])[0]
        if not code:
            return json.dumps({"errcode": 41008, "errmsg": "missing code"}).encode()
        return json.dumps({"openid": f"o-{code}", "session_key": SESSION_KEY}).encode()
    if url.path in ("/cgi-bin/token", "/cgi-bin/stable_token"):
        return json.dumps({"access_token": "bench-access-token", "expires_in": 7200}).encode()
    return json.dumps({"errcode": 40029, "errmsg": "invalid code"}).encode()


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            target = lines[0].split(" ")[1]
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if length:
                await reader.readexactly(length)
            if delay:
                await asyncio.sleep(delay)
            body = answer(target)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(port: int, delay: float) -> None:
    server = await asyncio.start_server(lambda r, w: handle(r, w, delay), "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.delay))


if __name__ == "__main__":
    main()
