"""The address a request came from, for the sign-in lockout and the audit trail alike.

X-Forwarded-For is written by whoever sends the request, so it is believed only when the
request arrives from a proxy the operator named (TRUSTED_PROXIES, addresses or networks) or,
with TRUSTED_PROXY_COUNT, from that many proxies in a row. Without either setting the header is
ignored and the peer's address (REMOTE_ADDR) is the client's."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _is_trusted(address, networks) -> bool:
    return any(address in network for network in networks)


def trusted_proxy_networks() -> list:
    return [ipaddress.ip_network(p, strict=False) for p in settings.TRUSTED_PROXIES]


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the right-most address of the chain (X-Forwarded-For entries then
    the peer) that is not one of our own proxies."""
    peer = _address(request.META.get("REMOTE_ADDR", ""))
    if peer is None:
        return None
    networks = trusted_proxy_networks()
    count = settings.TRUSTED_PROXY_COUNT
    if not networks and not count:
        return str(peer)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    chain = [_address(a) for a in forwarded.split(",") if a.strip()] + [peer]
    if networks:
        # From the right, skip our proxies; the first other hop is the client.
        # A chain of only our proxies (the proxy's own health check) or an entry that is not an
        # address: the peer is as far as we can see.
        for hop in reversed(chain):
            if hop is None:
                break
            if not _is_trusted(hop, networks):
                return str(hop)
        return str(peer)
    # A fixed number of proxies: the hop just before them; a shorter chain did not come
    # through them all, and its first entry is as far as we can see.
    hop = chain[-(count + 1)] if len(chain) > count else chain[0]
    return str(hop or peer)
