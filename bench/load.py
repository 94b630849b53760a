"""A small HTTP load driver: N logged-in users hitting a running server at once.

It needs no Django: ``bench/run.py`` (or a test) hands it the base URL, the users and
what each one does. Every user is one thread with its own ``httpx.Client`` (its own
session cookie and CSRF token), so 20 users are 20 concurrent browser sessions.

Two actions are measured:

* ``page`` — GET one URL (e.g. ``/account/``, the lightest authenticated page) and expect
  200;
* ``form_save`` — for each of the user's forms in turn: GET the form page (CSRF token and
  the revision the copy starts from), then POST a complete set of answers that differs from
  the stored one, as the "Save" button does, and expect the redirect back to the form. Only
  the POST (validation, scoring, the audited save) is timed; the GET is the user reading
  the form before saving.

Latency percentiles use linear interpolation between closest ranks (numpy's default).
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

REVISION = re.compile(r'name="revision"\s+value="(\d+)"|value="(\d+)"\s+name="revision"')


def percentile(values: Sequence[float], q: float) -> float:
    """Return the ``q``-th percentile (0–100) of ``values``, interpolating linearly.

    Matches ``numpy.percentile(values, q)`` (method "linear"); NaN for no values.
    """
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Result:
    """Latencies (seconds) of the successful requests of one run, and its failures."""

    action: str
    users: int
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    http_requests: int = 0  # every request made in the timed period, untimed GETs too

    def summary(self) -> dict[str, Any]:
        """Throughput (successful requests per second) and p50/p95/max latency in ms."""
        ms = [x * 1000 for x in self.latencies]
        return {
            "action": self.action,
            "users": self.users,
            "requests": len(ms),
            "errors": len(self.errors),
            "seconds": round(self.elapsed, 2),
            "throughput": round(len(ms) / self.elapsed, 2) if self.elapsed else 0.0,
            "http_per_s": round(self.http_requests / self.elapsed, 2) if self.elapsed else 0.0,
            "p50_ms": round(percentile(ms, 50), 1) if ms else None,
            "p95_ms": round(percentile(ms, 95), 1) if ms else None,
            "max_ms": round(max(ms), 1) if ms else None,
            "first_errors": self.errors[:3],
        }


@dataclass
class User:
    """A bench user: credentials and the form URLs it saves (its own participants).

    ``form_fields`` holds, per form URL, the answers that belong to that one form and go with
    every save of it (its assessment date, inside the participant's visit window).
    """

    username: str
    password: str
    form_urls: list[str] = field(default_factory=list)
    form_fields: dict[str, dict[str, str]] = field(default_factory=dict)


class Session:
    """One logged-in browser session."""

    def __init__(self, base_url: str, user: User, timeout: float = 60.0) -> None:
        self.user = user
        self.client = httpx.Client(base_url=base_url, timeout=timeout, follow_redirects=False)
        self.turn = 0

    def close(self) -> None:
        self.client.close()

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def login(self) -> None:
        self.client.get("/login/")
        response = self.client.post(
            "/login/",
            data={
                "username": self.user.username,
                "password": self.user.password,
                "csrfmiddlewaretoken": self.csrf(),
            },
            headers={"Referer": f"{self.client.base_url}login/"},
        )
        if response.status_code != 302:
            raise RuntimeError(f"login of {self.user.username} failed ({response.status_code})")

    def page(self, url: str) -> tuple[float, int]:
        """GET ``url``; return (latency, 1 request)."""
        started = time.perf_counter()
        response = self.client.get(url)
        took = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: {response.status_code}")
        return took, 1

    def form_save(self, answer_sets: Sequence[dict[str, Any]]) -> tuple[float, int]:
        """Read the next form, save a changed complete copy; return (POST latency, 2)."""
        if not self.user.form_urls:
            raise RuntimeError(f"{self.user.username} has no form to save")
        url = self.user.form_urls[self.turn % len(self.user.form_urls)]
        answers = answer_sets[(self.turn // len(self.user.form_urls)) % len(answer_sets)]
        self.turn += 1
        page = self.client.get(url)
        if page.status_code != 200:
            raise RuntimeError(f"GET {url}: {page.status_code}")
        match = REVISION.search(page.text)
        revision = next(g for g in match.groups() if g is not None) if match else "0"
        data = {**{k: str(v) for k, v in answers.items()}, "revision": revision}
        data.update(self.user.form_fields.get(url, {}))
        data.update(csrfmiddlewaretoken=self.csrf(), reason="benchmark save", complete="")
        started = time.perf_counter()
        response = self.client.post(url, data=data, headers={"Referer": str(page.url)})
        took = time.perf_counter() - started
        if response.status_code != 302:
            raise RuntimeError(f"POST {url}: {response.status_code} (form not saved)")
        return took, 2


def run(
    base_url: str,
    users: Sequence[User],
    action: Callable[[Session], tuple[float, int]],
    *,
    name: str,
    duration: float,
    warm_up: int = 1,
) -> Result:
    """Run ``action`` in a loop for every user at once for ``duration`` seconds.

    Each user logs in and does ``warm_up`` untimed actions first; then all start together.
    """
    result = Result(name, len(users))
    sessions = [Session(base_url, user) for user in users]
    lock = threading.Lock()
    deadline = [math.inf]

    def start_clock() -> None:  # runs once, before any thread is released
        deadline[0] = time.perf_counter() + duration

    ready = threading.Barrier(len(sessions) + 1, action=start_clock)

    def work(session: Session) -> None:
        try:
            session.login()
            for _ in range(warm_up):
                action(session)
        except Exception as exc:  # reported, and this user does not take part
            with lock:
                result.errors.append(f"setup {session.user.username}: {exc}")
            ready.wait()
            return
        ready.wait()
        while time.perf_counter() < deadline[0]:
            try:
                took, requests = action(session)
            except Exception as exc:
                with lock:
                    result.errors.append(str(exc))
                continue
            with lock:
                result.latencies.append(took)
                result.http_requests += requests

    threads = [threading.Thread(target=work, args=(s,), daemon=True) for s in sessions]
    for thread in threads:
        thread.start()
    try:
        ready.wait()
        started = deadline[0] - duration
        for thread in threads:
            thread.join()
        result.elapsed = time.perf_counter() - started
    finally:
        for session in sessions:
            session.close()
    return result


def page_action(url: str) -> Callable[[Session], tuple[float, int]]:
    return lambda session: session.page(url)


def form_save_action(
    answer_sets: Sequence[dict[str, Any]],
) -> Callable[[Session], tuple[float, int]]:
    return lambda session: session.form_save(answer_sets)
