"""Outbound URL safety: no delivery may be aimed at the server's own network by accident.

A destination whose host is (or resolves to) a private, loopback, link-local, multicast or
reserved address is refused unless it is allow-listed in the `outbound_allowlist` setting
(host names or CIDR ranges). Checked when a contact method is saved and again before
every send, since DNS answers change.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from warroom.errors import InvalidInput


def _blocked(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (
        addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
    )


def _allowed(
    host: str, addrs: list[ipaddress.IPv4Address | ipaddress.IPv6Address], allowlist: Iterable[str]
) -> bool:
    for entry in allowlist:
        entry = entry.strip()
        if not entry:
            continue
        if entry.lower() == host.lower():
            return True
        try:
            net = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue
        if addrs and all(a in net for a in addrs):
            return True
    return False


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.hostname or "").strip("[]")


def check_destination(url: str, allowlist: Iterable[str], *, resolve: bool = True) -> None:
    """Raise InvalidInput when `url` points somewhere it must not."""
    host = host_of(url)
    if not host:
        raise InvalidInput(f"destination {url!r} has no host; give a full URL", field="target")
    try:
        addrs: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ipaddress.ip_address(host)]
    except ValueError:
        addrs = []
        if resolve:
            try:
                infos = socket.getaddrinfo(host, None)
            except OSError:
                infos = []  # unresolvable now: the send will fail and be retried
            addrs = [ipaddress.ip_address(str(i[4][0]).split("%")[0]) for i in infos]
        if host.lower() in ("localhost", "localhost.localdomain"):
            addrs.append(ipaddress.ip_address("127.0.0.1"))
    if any(_blocked(a) for a in addrs) and not _allowed(host, addrs, allowlist):
        raise InvalidInput(
            f"destination host {host!r} is a private, loopback or link-local address; "
            "add it to the outbound_allowlist setting if this is intended",
            field="target",
        )
