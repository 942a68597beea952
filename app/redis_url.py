"""A Redis client from a URL, `redis+sentinel://` included (the HA topology's form).

`redis+sentinel://host:port,host:port/service` is the syntax limits (Flask-Limiter's
store) reads, so one URL serves both: the client asks the sentinels for the service's
current primary at every (re)connection, and so follows a failover by itself.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import redis
from redis.sentinel import Sentinel

SENTINEL_SCHEME = "redis+sentinel"
SCHEMES = ("redis://", "rediss://", "unix://", f"{SENTINEL_SCHEME}://")


def redis_client(url: str, **options) -> redis.Redis:
    """A client for a redis://, rediss://, unix:// or redis+sentinel:// URL."""
    parts = urlsplit(url)
    if parts.scheme != SENTINEL_SCHEME:
        return redis.Redis.from_url(url, **options)
    service = parts.path.strip("/").split("/")[0]
    if not service:
        raise ValueError(f"{url!r} names no sentinel service (…/service_name)")
    netloc = parts.netloc.rsplit("@", 1)
    auth = {}
    if len(netloc) == 2 and netloc[0]:
        user, _, password = netloc[0].partition(":")
        auth = {"username": unquote(user) or None, "password": unquote(password) or None}
    hosts = [(host.rsplit(":", 1)[0], int(host.rsplit(":", 1)[1]) if ":" in host else 26379)
             for host in netloc[-1].split(",")]
    sentinel = Sentinel(hosts, sentinel_kwargs={**options}, **options)
    return sentinel.master_for(service, **auth)
