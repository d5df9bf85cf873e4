"""Configuration, from environment variables only (documented in README.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./portal.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # Who an import or correction is recorded as, when the command line does not say.
    actor: str = "importer"
    # Where attachments live; None: beside the SQLite file, else ./portal-attachments.
    storage_dir: Path | None = None
    max_attachments: int = 5
    max_attachment_bytes: int = 10 * 1024 * 1024
    # Attachments cleaned at once per process: each may take ~140 MB (README, Security and limits).
    max_decodes: int = 2
    # Responses a factory may submit in any 24 hours (counted in the database); 0: no quota.
    responses_per_day: int = 20
    # Reports from the public one client (token, else address) may send in any hour, refused ones
    # included (counted in the database); 0: no cap.
    reports_per_hour: int = 20
    claim_minutes: int = 15
    # Requests a minute per client (token, else address); 0 turns the limit off.
    rate_limit: int = 600
    # Points an hour per client (schema/http/budget.py: what queries cost, GitHub's way); 0: off.
    rate_limit_points: int = 5000
    max_body_bytes: int = 256 * 1024
    max_query_nodes: int = 50_000
    # The work one query may ask for, in requests (schema/extensions/cost.py: one read of a page of 100).
    max_query_cost: int = 1_000
    # How long one GraphQL operation may run before it is cancelled (TIMEOUT).
    request_seconds: float = 10.0
    # PORTAL_ENV=production: no GraphiQL, no introspection for anonymous clients.
    production: bool = False
    # The compiled executor's rendered nodes, per process (schema/fastpath/renderings.py).
    render_cache_mb: int = 128
    # Golden mode: strawberry answers every compiled request too, and they must agree (tests).
    compiled_check: bool = False
    # Where the public reaches this API (e.g. https://api.portal.example), for URLs in answers;
    # empty: URLs are paths relative to the API's host. Never taken from a request's headers.
    public_url: str = ""
    # A request body's bytes may pause this long, and take this long in all (schema/asgi.py: BodyTimeout).
    body_idle_seconds: int = 30
    body_total_seconds: int = 300
    # After refusing a request whose body is still coming, read and drop the rest this long at most,
    # so the client reads the refusal rather than a reset (schema/http/asgi.py: drain).
    body_drain_seconds: float = 2.0
    # Redis shared by every process for rate limits (redis://host:port/db); empty: each process
    # counts alone, in memory (README, Running several servers).
    redis_url: str = ""
    # Where attachments live: file:///folder or s3://bucket/prefix; empty: the folder of
    # `attachments_dir` (PORTAL_STORAGE_DIR, or beside the SQLite file).
    storage_url: str = ""
    # "json": one JSON object per log line; "text": lines for people.
    log_format: str = "text"
    # Origins (https://app.example) whose pages may send requests with Authorization (CORS,
    # schema/http/cors.py); anonymous reads are open to every origin. Empty: none.
    cors_origins: tuple[str, ...] = ()
    # Seconds a shared cache (a CDN) may serve an anonymous GET answer without asking again
    # (schema/http/answer_cache.py); POST answers are not for shared caches.
    public_max_age: int = 60
    # A trusted-documents manifest ({"<sha256>": "<document>"}, as Relay and GraphQL Code Generator
    # write it): anonymous clients run only its documents (schema/http/persisted.py). Empty: off.
    trusted_documents: str = ""
    # Bounds of the documents registered by automatic persisted queries (storage/persisted.py).
    persisted_max_documents: int = 10_000
    persisted_max_mb: int = 64
    # Where the Atom feed's entries link a factory: a URL template with `{id}` (the factory's id),
    # e.g. https://portal.example/f/{id}; empty: a GET /graphql URL of the factory's node.
    factory_url: str = ""
    # Seconds between a webhook delivery's failed attempt and the next (workflows/webhooks/worker.py):
    # one attempt more than delays; then it is marked failed.
    webhook_retries: tuple[float, ...] = (5, 30, 120, 600, 3600, 21600, 86400)
    # Let webhook endpoints resolve to loopback and private addresses (tests, closed networks).
    webhook_allow_private: bool = False
    # Seconds between the webhook worker's looks at the outbox when no event wakes it (an import by
    # another process on SQLite), and how long its lease lasts unless renewed (a crashed holder's is
    # taken over once it has run out); the lease is at least three polls (renewed every third of it).
    webhook_poll_seconds: float = 2.0
    webhook_lease_seconds: float = 10.0

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        storage = env.get("PORTAL_STORAGE_DIR")
        return cls(
            database_url=_normalise_url(env.get("PORTAL_DATABASE_URL", DEFAULT_DATABASE_URL)),
            actor=env.get("PORTAL_ACTOR") or env.get("USER") or "importer",
            storage_dir=Path(storage) if storage else None,
            max_attachments=_positive(env, "PORTAL_MAX_ATTACHMENTS", cls.max_attachments),
            max_attachment_bytes=_positive(env, "PORTAL_MAX_ATTACHMENT_BYTES", cls.max_attachment_bytes),
            max_decodes=_positive(env, "PORTAL_MAX_DECODES", cls.max_decodes),
            responses_per_day=_whole(env, "PORTAL_RESPONSES_PER_DAY", cls.responses_per_day, allow_zero=True),
            reports_per_hour=_whole(env, "PORTAL_REPORTS_PER_HOUR", cls.reports_per_hour, allow_zero=True),
            claim_minutes=_positive(env, "PORTAL_CLAIM_MINUTES", cls.claim_minutes),
            rate_limit=_whole(env, "PORTAL_RATE_LIMIT", cls.rate_limit, allow_zero=True),
            rate_limit_points=_whole(env, "PORTAL_RATE_LIMIT_POINTS", cls.rate_limit_points, allow_zero=True),
            max_body_bytes=_positive(env, "PORTAL_MAX_BODY_BYTES", cls.max_body_bytes),
            max_query_nodes=_positive(env, "PORTAL_MAX_QUERY_NODES", cls.max_query_nodes),
            max_query_cost=_positive(env, "PORTAL_MAX_QUERY_COST", cls.max_query_cost),
            request_seconds=_seconds(env, "PORTAL_REQUEST_SECONDS", cls.request_seconds),
            production=env.get("PORTAL_ENV", "").strip().lower() == "production",
            render_cache_mb=_whole(env, "PORTAL_RENDER_CACHE_MB", cls.render_cache_mb, allow_zero=True),
            compiled_check=env.get("PORTAL_COMPILED_CHECK", "") == "1",
            public_url=_public_url(env.get("PORTAL_PUBLIC_URL", "")),
            body_idle_seconds=_positive(env, "PORTAL_BODY_IDLE_SECONDS", cls.body_idle_seconds),
            body_total_seconds=_positive(env, "PORTAL_BODY_TOTAL_SECONDS", cls.body_total_seconds),
            body_drain_seconds=_seconds(env, "PORTAL_BODY_DRAIN_SECONDS", cls.body_drain_seconds),
            redis_url=_redis_url(env.get("PORTAL_REDIS_URL", "")),
            storage_url=_storage_url(env.get("PORTAL_STORAGE_URL", "")),
            log_format=_choice(env, "PORTAL_LOG_FORMAT", ("text", "json"), cls.log_format),
            cors_origins=_origins(env.get("PORTAL_CORS_ORIGINS", "")),
            public_max_age=_whole(env, "PORTAL_PUBLIC_MAX_AGE", cls.public_max_age, allow_zero=True),
            trusted_documents=_trusted_documents(env.get("PORTAL_TRUSTED_DOCUMENTS", "")),
            persisted_max_documents=_positive(env, "PORTAL_PERSISTED_MAX_DOCUMENTS", cls.persisted_max_documents),
            persisted_max_mb=_positive(env, "PORTAL_PERSISTED_MAX_MB", cls.persisted_max_mb),
            factory_url=_factory_url(env.get("PORTAL_FACTORY_URL", "")),
            webhook_retries=_delays(env, "PORTAL_WEBHOOK_RETRIES", cls.webhook_retries),
            webhook_allow_private=env.get("PORTAL_WEBHOOK_ALLOW_PRIVATE", "") == "1",
            **_webhook_timing(env, cls.webhook_poll_seconds, cls.webhook_lease_seconds),
        )

    @property
    def attachments_dir(self) -> Path:
        if self.storage_dir is not None:
            return self.storage_dir
        database = sqlite_path(self.database_url)
        if database is not None:
            return database.parent / f"{database.stem}-attachments"
        return Path("portal-attachments")

    @property
    def attachments_url(self) -> str:
        """The attachment store as a URL: `storage_url`, else the folder as file:///."""
        return self.storage_url or self.attachments_dir.resolve().as_uri()


def _positive(env, name: str, default: int) -> int:
    return _whole(env, name, default, allow_zero=False)


def _whole(env, name: str, default: int, *, allow_zero: bool) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or (int(raw) == 0 and not allow_zero):
        kind = "a whole number" if allow_zero else "a positive whole number"
        raise SystemExit(f"{name} must be {kind}, not {raw!r}")
    return int(raw)


def _public_url(raw: str) -> str:
    url = raw.strip().rstrip("/")
    parts = urlsplit(url)
    if url and (parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment):
        raise SystemExit(f"PORTAL_PUBLIC_URL must be an http(s) URL such as https://api.example.org, not {raw!r}")
    return url


def _factory_url(raw: str) -> str:
    url = raw.strip()
    parts = urlsplit(url.replace("{id}", "ID"))
    if url and ("{id}" not in url or parts.scheme not in ("http", "https") or not parts.netloc):
        raise SystemExit(
            f"PORTAL_FACTORY_URL must be an http(s) URL with {{id}}, such as https://portal.example/f/{{id}}, not {raw!r}"
        )
    return url


def _redis_url(raw: str) -> str:
    url = raw.strip()
    if url and urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise SystemExit(f"PORTAL_REDIS_URL must be a redis:// URL such as redis://127.0.0.1:6379/0, not {raw!r}")
    return url


def _storage_url(raw: str) -> str:
    url = raw.strip()
    parts = urlsplit(url)
    if url and not (
        (parts.scheme == "file" and parts.path.startswith("/") and not parts.netloc)
        or (parts.scheme == "s3" and parts.netloc)
    ):
        raise SystemExit(f"PORTAL_STORAGE_URL must be file:///folder or s3://bucket/prefix, not {raw!r}")
    return url


def _origins(raw: str) -> tuple[str, ...]:
    """Exact web origins as browsers write them in `Origin`: scheme://host[:port], lower case,
    no default port (a page never sends `https://app.example:443`)."""
    origins = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        parts = urlsplit(item)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if (
            parts.scheme not in ("http", "https") or not parts.hostname or port == -1 or "@" in parts.netloc
            or parts.path not in ("", "/") or parts.query or parts.fragment
        ):
            raise SystemExit(
                f"PORTAL_CORS_ORIGINS must list origins such as https://app.example.org (no path, no *), not {item!r}"
            )
        default = {"http": 80, "https": 443}[parts.scheme]
        host = parts.netloc.lower().rsplit(":", 1)[0] if port is not None else parts.netloc.lower()
        origins.append(f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default) else ""))
    return tuple(origins)


def _trusted_documents(raw: str) -> str:
    """The manifest's path, read and checked now: a bad manifest stops the command before any
    server process starts (each `--workers` process checks it again as it builds its app)."""
    path = raw.strip()
    if path:
        from .storage.persisted import ManifestError, load_manifest

        try:
            load_manifest(path)
        except ManifestError as error:
            raise SystemExit(str(error)) from None
    return path


def _choice(env, name: str, choices: tuple[str, ...], default: str) -> str:
    raw = env.get(name, default).strip().lower()
    if raw not in choices:
        raise SystemExit(f"{name} must be one of {', '.join(choices)}, not {raw!r}")
    return raw


def _seconds(env, name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise SystemExit(f"{name} must be a positive number of seconds, not {raw!r}")
    return seconds


def _webhook_timing(env, poll: float, lease: float) -> dict[str, float]:
    """The worker renews its lease on a poll once a third of it has passed: a lease shorter than
    three polls could run out under a live holder, and two servers would take turns."""
    poll = _seconds(env, "PORTAL_WEBHOOK_POLL_SECONDS", poll)
    lease = _seconds(env, "PORTAL_WEBHOOK_LEASE_SECONDS", lease)
    if lease < 3 * poll:
        raise SystemExit(
            f"PORTAL_WEBHOOK_LEASE_SECONDS ({lease:g}) must be at least three times PORTAL_WEBHOOK_POLL_SECONDS ({poll:g})"
        )
    return {"webhook_poll_seconds": poll, "webhook_lease_seconds": lease}


def _delays(env, name: str, default: tuple[float, ...]) -> tuple[float, ...]:
    """Comma-separated seconds, each 0 or more; empty: none."""
    raw = env.get(name)
    if raw is None:
        return default
    try:
        delays = tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError:
        delays = (-1.0,)
    if not all(0 <= delay < float("inf") for delay in delays):
        raise SystemExit(f"{name} must be seconds separated by commas, such as 5,30,120, not {raw!r}")
    return delays


def _normalise_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://, sqlite:///) and pick async drivers."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def sqlite_path(url: str) -> Path | None:
    prefix = "sqlite+aiosqlite:///"
    return Path(url[len(prefix) :]) if url.startswith(prefix) else None
