"""A Redis cache that degrades to "always a miss" while Redis is unreachable.

The cache only ever speeds things up: pages, data entry and logins must keep working when
Redis (shared with the job queue) is down, so connection errors are logged, not raised.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class ResilientRedisCache(RedisCache):
    """``RedisCache`` whose reads miss and writes are dropped when Redis cannot be reached."""

    def _degraded(self, operation: str, exc: Exception, fallback: Any) -> Any:
        log.warning("cache %s skipped, Redis unavailable: %s", operation, exc)
        return fallback

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        try:
            return super().get(key, default, version)
        except UNAVAILABLE as exc:
            return self._degraded("get", exc, default)

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except UNAVAILABLE as exc:
            return self._degraded("get_many", exc, {})

    def has_key(self, key: Any, version: Any = None) -> bool:
        try:
            return super().has_key(key, version)
        except UNAVAILABLE as exc:
            return self._degraded("has_key", exc, False)

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None):
        try:
            return super().add(key, value, timeout, version)
        except UNAVAILABLE as exc:
            return self._degraded("add", exc, False)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None):
        try:
            return super().set(key, value, timeout, version)
        except UNAVAILABLE as exc:
            return self._degraded("set", exc, None)

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None):
        try:
            return super().set_many(data, timeout, version)
        except UNAVAILABLE as exc:
            return self._degraded("set_many", exc, list(data))

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        try:
            return super().touch(key, timeout, version)
        except UNAVAILABLE as exc:
            return self._degraded("touch", exc, False)

    def delete(self, key: Any, version: Any = None) -> bool:
        try:
            return super().delete(key, version)
        except UNAVAILABLE as exc:
            return self._degraded("delete", exc, False)

    def delete_many(self, keys: Any, version: Any = None) -> None:
        try:
            return super().delete_many(keys, version)
        except UNAVAILABLE as exc:
            return self._degraded("delete_many", exc, None)
