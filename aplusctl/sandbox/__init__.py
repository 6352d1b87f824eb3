"""Local emulators of SP-API (A+ Content, Uploads, S3 POST, LWA) and Pixii.

One Starlette app (`app.create_app`) on one port; `server.EmbeddedSandbox` runs it in-process on
an ephemeral loopback port, `server.serve` in the foreground (`aplusctl sandbox serve`).

Modules: `ops` (the gateway every SP-API operation passes: request id, latency, auth, faults,
usage plan, error bodies), `aplus` (the ten A+ operations), `uploads` (upload destinations and
the presigned S3 POST), `lwa` (token endpoint and access tokens), `moderation` (content rules,
catalog view of ASINs, lazy SUBMITTED → APPROVED/REJECTED), `store` (SQLite), `pagination`
(signed page tokens), `ratelimit`, `faults`, `requestlog`, `scope` (what handlers tell the
gateway), `admin`; `pixii*` is the Pixii emulator.

Wire decisions where the references are silent or disagree:
- Suspending keeps the status (the model's ContentStatus has no SUSPENDED); it removes the
  document's publish records, so its ASINs show CONTENT_NOT_PUBLISHED. A new approval
  submission lifts the suspension.
- Publish records spell the locale with an underscore (`en_US`), as the A+ guide's example does;
  one record per (marketplace, ASIN, locale): approving a document replaces another's record.
- Rejection reasons come back as `warnings` of getContentDocument (CONTENT_FAILED_VALIDATION).
- Creating or updating a document that names an uploadDestinationId whose upload never
  succeeded answers 400 InvalidInput naming the field.
- validateContentDocumentAsinRelations reports ASINs outside the brand as ASIN_FAILED_VALIDATION
  errors, beside the content's CONTENT_FAILED_VALIDATION errors; it also applies the guide's
  module-count and text limits and checks crops against the uploaded image.
- x-amzn-RateLimit-Limit states the scaled rate (the plan's own 10.0 when limits are lifted).

Admin API (only with `admin=True`; JSON, snake_case):
  GET  /_sandbox                      counts and live settings
  GET|POST /_sandbox/catalog          {"asins": [...], "state": in_brand|not_found|other_brand, "title"}
  POST /_sandbox/moderation           {"content_reference_key"?: key (default: every document),
                                       "outcome": APPROVED|REJECTED|null, "reasons": [...]}
  POST /_sandbox/moderation/settle    decide every pending submission now
  POST /_sandbox/documents            plant/overwrite a document unchecked, as Seller Central
                                      might leave it: {"marketplace_id", "document",
                                      "content_reference_key"?, "status"?, "asins"?}
  GET|POST|DELETE /_sandbox/faults    {"operation": opId|"*"|"lwa:token"|"s3:PostObject",
                                       "kind": 500|503|429|drop|drop_after|slow,
                                       "rate"?: 0..1, "count"?: N, "delay_ms"?: for slow}
                                      ("*" covers the SP-API operations only)
  GET|DELETE /_sandbox/requests       ?operation=&limit= → time, method, path, operation, status
                                       (0 = connection dropped), requestId; never a header or body
  POST /_sandbox/ratelimits/reset     refill every bucket
  POST /_sandbox/ratelimits           {"rate_scale": X}
  POST /_sandbox/tokens               {"ttl": seconds} for tokens issued from now on
  POST /_sandbox/tokens/expire        every issued token stops working
"""
