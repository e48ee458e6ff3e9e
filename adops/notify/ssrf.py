"""Which outgoing webhook destinations may be reached: the SSRF rule, with `ssrfguard` doing the work.

An endpoint URL is checked, its name resolved once, every resolved address checked, and the
connection made to that checked address (never a second lookup a DNS rebinding could move).
Private, loopback, link-local, unspecified, multicast, IPv6 unique-local, cloud-metadata and
wrapped forms of them (IPv4-mapped, NAT64) are refused unless `[webhooks] allow_hosts` lists the
host name (its answers are then trusted whatever they are) or an address or network (`10.0.0.0/8`,
`127.0.0.1`) that the answer falls in. Redirects are not followed: a 3xx is an answer like any other
non-2xx, so no redirect can lead a delivery somewhere the rule did not check.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from ssrfguard import Policy, SSRFGuardError

from adops.errors import ConfigError

__all__ = ["Guard", "SSRFGuardError", "guard", "refusal"]

_ALL_PORTS = frozenset(range(1, 65536))
_EVERYWHERE = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


@dataclass(frozen=True)
class Guard:
    """The rule for one workspace: the default policy and the host names trusted whatever they resolve to."""

    policy: Policy
    trusted: Policy
    trusted_names: frozenset[str]

    @classmethod
    def from_allow_hosts(cls, allow_hosts: Iterable[str] = ()) -> Guard:
        """Build the rule from `[webhooks] allow_hosts` (names, addresses or networks)."""
        names: set[str] = set()
        networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow_hosts:
            text = entry.strip().lower().strip("[]")
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
            except ValueError:
                if not text or any(c in text for c in "/:@ ?#"):
                    raise ConfigError(
                        f"webhooks.allow_hosts: {entry[:80]!r} is neither a host name nor an address"
                    ) from None
                names.add(text.rstrip("."))
        try:
            policy = Policy(allowed_ports=_ALL_PORTS, allowed_networks=tuple(networks))
        except ValueError as exc:  # e.g. a network inside a translation prefix (64:ff9b::/96)
            raise ConfigError(f"webhooks.allow_hosts: {exc}") from None
        trusted = Policy(allowed_ports=_ALL_PORTS, allowed_networks=_EVERYWHERE)
        return cls(policy, trusted, frozenset(names))

    def policy_for(self, url: str) -> Policy:
        """The policy a request to `url` goes through."""
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
        return self.trusted if host in self.trusted_names else self.policy

    def check(self, url: str) -> None:
        """Refuse what can be refused without DNS (scheme, credentials, literal addresses, shape)."""
        self.policy_for(url).check_url(url)


@functools.lru_cache(maxsize=16)
def guard(allow_hosts: tuple[str, ...] = ()) -> Guard:
    """The rule for these `allow_hosts`, built once (its policies key the pooled HTTP clients)."""
    return Guard.from_allow_hosts(allow_hosts)


def refusal(exc: SSRFGuardError) -> str:
    """Why a destination was refused, without echoing the URL (it may carry a token)."""
    reason = getattr(exc, "reason", None) or type(exc).__name__
    return f"refused by the SSRF rule: {reason}"[:500]
