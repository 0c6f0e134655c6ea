"""A fast webhook receiver for the webhook benchmarks (asyncio, HTTP/1.1 keep-alive).

    uv run python bench/webhooks_receiver.py --port 18080 [--parse-body]

Answers every POST with 200 and an empty body, and remembers each request's `webhook-id`
and the `seq` field of its JSON body. `GET /stats` answers {"requests": n, "unique": n};
`GET /dump` answers every (webhook-id, seq) pair received, as JSON lines.
"""

from __future__ import annotations

import argparse
import asyncio
import json

RESPONSE_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


class Receiver:
    def __init__(self, parse_body: bool) -> None:
        self.parse_body = parse_body
        self.received: list[tuple[str, object]] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path = lines[0].split(" ")[:2]
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if method == "GET":
                    writer.write(self._get(path))
                else:
                    seq = None
                    if self.parse_body and body:
                        seq = json.loads(body).get("seq")
                    self.received.append((headers.get("webhook-id", ""), seq))
                    writer.write(RESPONSE_OK)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    def _get(self, path: str) -> bytes:
        if path.startswith("/dump"):
            body = "\n".join(json.dumps(pair) for pair in self.received).encode()
        else:
            unique = len({webhook_id for webhook_id, _ in self.received})
            body = json.dumps({"requests": len(self.received), "unique": unique}).encode()
        head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


async def main(port: int, parse_body: bool) -> None:
    receiver = Receiver(parse_body)
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--parse-body", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.port, args.parse_body))
