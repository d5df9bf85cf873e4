"""The process's Prometheus metrics, in one place so every layer counts into the same names.

Served at `/metrics` in Prometheus' text format. Under `portal serve --workers N` the workers'
values are summed through prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by
the command before any worker starts). What the database knows (queue length, oldest waiting
response, imports) is read when `/metrics` is scraped, not counted here.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram, disable_created_metrics

# No `_created` series beside every counter: they double a scrape and are absent under --workers
# (multiprocess mode) anyway, so one process and several report the same names.
disable_created_metrics()

REQUESTS = Counter(
    "portal_requests",
    "Requests answered, by operation (the GraphQL operationName, else the route's path) and outcome "
    "(ok, error: GraphQL errors, refused: 4xx, rate_limited: 429, failed: 5xx).",
    ["operation", "outcome"],
)
LATENCY = Histogram(
    "portal_request_duration_seconds",
    "Time from a request's first byte to the end of its answer, by operation name.",
    ["operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CACHE_HITS = Counter(
    "portal_cache_hits", "Answers or renderings served from a cache, by cache.", ["cache"]
)
RATE_LIMITED = Counter("portal_rate_limited", "Requests refused with 429 by the rate limit.")
RATE_LIMIT_STORE_ERRORS = Counter(
    "portal_rate_limit_store_errors",
    "Requests let through unlimited because the shared rate-limit store (Redis) did not answer.",
)
UPLOADS = Counter("portal_uploads", "Attachments received, by outcome (stored, refused).", ["outcome"])
