"""localstripe (PyPI), the stateful Stripe-compatible server the payment tests talk to, with
three changes for a test run: it listens on loopback only, keeps its store in memory (localstripe
pickles every change to a shared /tmp file by default), and records what it received.

It also accepts `description` on a PaymentIntent and `off_session` on its confirmation, as
Stripe's API does (localstripe 1.15 refuses both parameters), so the tests can check the
one sentence the clinic tells Stripe.

    python -m tests.support.stripe_server --port 8420 --record /tmp/received.jsonl
"""

import argparse
import asyncio
import json

from aiohttp import web
from localstripe import resources, server


def _accept_description() -> None:
    original = resources.PaymentIntent.__init__

    def __init__(self, description=None, **kwargs):
        original(self, **kwargs)
        self.description = description

    resources.PaymentIntent.__init__ = __init__


@web.middleware
async def accept_off_session(request, handler):
    """Stripe confirms a PaymentIntent with off_session=true (the patient is not there);
    localstripe 1.15 refuses the parameter, so it is taken out before localstripe reads it."""
    if request.method == "POST" and request.path.endswith("/confirm"):
        data = await server.get_post_data(request, remove_auth=False)
        if isinstance(data, dict) and "off_session" in data:
            data.pop("off_session")
            request._read_bytes = json.dumps(data).encode()
    return await handler(request)


HOLD = {"confirms": 0}


@web.middleware
async def hold_after_confirm(request, handler):
    """POST /_test/hold_confirms makes the next confirmation take effect at Stripe and then
    hang, as a worker killed while Stripe answers would see it."""
    if request.path == "/_test/hold_confirms":
        HOLD["confirms"] += 1
        return web.Response(text="ok")
    response = await handler(request)
    confirm = request.path.startswith("/v1/payment_intents/") and request.path.endswith("/confirm")
    if confirm and HOLD["confirms"]:
        HOLD["confirms"] -= 1
        await asyncio.sleep(3600)
    return response


def _recorder(path: str):
    @web.middleware
    async def record(request, handler):
        if request.method in ("POST", "DELETE") and request.path.startswith("/v1/"):
            data = await server.get_post_data(request)
            with open(path, "a", encoding="utf-8") as out:
                out.write(json.dumps({"path": request.path, "data": data}) + "\n")
        return await handler(request)

    return record


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", default="")
    args = parser.parse_args()
    resources.store.dump_to_disk = lambda: None
    _accept_description()
    server.app.middlewares.insert(0, accept_off_session)
    server.app.middlewares.insert(0, hold_after_confirm)
    if args.record:
        server.app.middlewares.insert(0, _recorder(args.record))
    web.run_app(server.app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
