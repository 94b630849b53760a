"""A Redis cache that degrades to "always a miss" while Redis is unreachable.

The cache only ever speeds things up: pages, data entry and logins must keep working when
Redis (shared with the job queue) is down, so connection errors are logged, not raised.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


def _degrading(name: str, fallback: Any) -> Any:
    """Return ``RedisCache.<name>`` answering ``fallback`` instead of raising while Redis is
    unreachable (reads miss, writes are dropped)."""
    parent = getattr(RedisCache, name)

    def method(self: RedisCache, *args: Any, **kwargs: Any) -> Any:
        try:
            return parent(self, *args, **kwargs)
        except UNAVAILABLE as exc:
            log.warning("cache %s skipped, Redis unavailable: %s", name, exc)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    method.__name__ = name
    return method


def _default(key: Any, default: Any = None, *args: Any, **kwargs: Any) -> Any:
    return default


class ResilientRedisCache(RedisCache):
    """``RedisCache`` whose reads miss and writes are dropped when Redis cannot be reached."""

    get = _degrading("get", _default)
    get_many = _degrading("get_many", lambda *args, **kwargs: {})
    has_key = _degrading("has_key", False)
    add = _degrading("add", False)
    set = _degrading("set", None)
    set_many = _degrading("set_many", lambda data, *args, **kwargs: list(data))
    touch = _degrading("touch", False)
    delete = _degrading("delete", False)
    delete_many = _degrading("delete_many", None)
