"""API v1 (deprecated): SparkLoop's campaign-nested API, kept for old integrations.

A thin layer owned by the referrals app, since everything in v1 is nested under a campaign:
its views call the same selectors and services as v2 and differ only in the shapes they
parse and render (`serializers`). Served under /v1/ and /api/v1/ (`urls`), with the
deprecation headers of `middleware` on every response; its own rate limit is counted by
`sparkloop.api.throttling` (RATE_LIMIT_V1). Documented in docs/api-v1.md.
"""
