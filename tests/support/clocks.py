"""A server clock the test moves: `create_app(settings, clock=clock)`, then `clock.move_to(day)`."""

from __future__ import annotations

from datetime import UTC, date, datetime


class Clock:
    """Stands still at the moment it was made until the test moves it to another day (at the
    same time of day), so what the server reads as "today" changes only when the test says."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def move_to(self, day: date) -> None:
        self.now = datetime.combine(day, self.now.timetz())
