"""A pause after a failure: what did not answer (the rate limit's Redis, the database for the
feed's calendar) is left alone for a few seconds, so that while it is down it costs one failed
attempt per pause rather than one per request. Monotonic time: a test's server clock does not
move it."""

from __future__ import annotations

import time


class Backoff:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.until = 0.0

    def waiting(self, now: float | None = None) -> bool:
        """Whether the pause after the last failure still runs (`now`: time.monotonic())."""
        return (time.monotonic() if now is None else now) < self.until

    def failed(self, now: float | None = None) -> None:
        """A failure at `now` (time.monotonic()): leave it alone `seconds` from then."""
        self.until = (time.monotonic() if now is None else now) + self.seconds
