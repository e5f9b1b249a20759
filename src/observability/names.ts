/**
 * The names, units and attributes of every metric and span dynamic-guard records. They follow
 * OpenTelemetry's naming conventions: dot-separated lowercase names under one namespace, UCUM
 * units (`s`, `{verification}`), durations in seconds as histograms named `*.duration`, and the
 * semantic-convention attributes where one exists (`error.type`, `http.response.status_code`).
 * A Prometheus exporter turns `dynamic_guard.verifications` into `dynamic_guard_verifications_total`
 * and `dynamic_guard.verification.duration` into `dynamic_guard_verification_duration_seconds`.
 */

/** The instrumentation scope (meter and tracer name). */
export const INSTRUMENTATION_SCOPE = 'dynamic-guard'

/** Metric names. */
export const METRICS = {
  /** Counter, `{verification}`: every verification by outcome, `error.type` (the refusal code), token kind and path. */
  verifications: 'dynamic_guard.verifications',
  /** Histogram, `s`: verification time by outcome and path (cold: every call; cached: one call in `CACHED_DURATION_SAMPLING`). */
  verificationDuration: 'dynamic_guard.verification.duration',
  /** Counter, `{lookup}`: verified-token cache lookups by `dynamic_guard.cache.result` (`hit` or `miss`). */
  cacheLookups: 'dynamic_guard.token_cache.lookups',
  /** Counter, `{entry}`: entries the full verified-token cache dropped to make room. */
  cacheEvictions: 'dynamic_guard.token_cache.evictions',
  /** Counter, `{fetch}`: JWKS fetches by `dynamic_guard.jwks.result`. */
  jwksFetches: 'dynamic_guard.jwks.fetches',
  /** Histogram, `s`: JWKS fetch time, body included, by result. */
  jwksFetchDuration: 'dynamic_guard.jwks.fetch.duration',
  /** Gauge, `{key}`: keys in use. */
  jwksKeys: 'dynamic_guard.jwks.keys',
  /** Gauge, `s`: age of the keys in use (since their last successful fetch). */
  jwksAge: 'dynamic_guard.jwks.age',
  /** Gauge, `s`: time until the key store may fetch again after failures (0 when it may now). */
  jwksRefetchWait: 'dynamic_guard.jwks.refetch_wait',
  /** Gauge, `1`: 1 while the revocation store reaches its source (always 1 in memory). */
  revocationConnected: 'dynamic_guard.revocation.connected',
  /** Gauge, `{entry}`: live revocation entries held in process. */
  revocationEntries: 'dynamic_guard.revocation.entries',
  /** Gauge, `s`: time since the shared revocation set was last loaded in full. */
  revocationSyncLag: 'dynamic_guard.revocation.sync_lag',
  /** Counter, `{revocation}`: revocations received from the shared store (other instances, webhooks). */
  revocationsReceived: 'dynamic_guard.revocation.received',
  /** Counter, `{revocation}`: revocations made by this instance (`revokeSession`, `revokeUser`), by `dynamic_guard.revocation.type`. */
  revocationsMade: 'dynamic_guard.revocation.made',
  /** Counter, `{webhook}`: webhook deliveries by `dynamic_guard.webhook.event` and `dynamic_guard.webhook.outcome`. */
  webhooksReceived: 'dynamic_guard.webhooks.received',
} as const

/** Span names. */
export const SPANS = {
  /** One per `verifyToken` call (an adapter's request included). */
  verify: 'dynamic_guard.verify',
  /** A request refused before a token reached verification (no token, two tokens, cross-site cookie). */
  authenticate: 'dynamic_guard.authenticate',
  /** A JWKS fetch: a child of the verification that caused it. */
  jwksFetch: 'dynamic_guard.jwks.fetch',
} as const

/** Attribute names. None carries a token, a user id, a session id or a claim besides the environment id. */
export const ATTRIBUTES = {
  /** `verified` or `refused`. */
  outcome: 'dynamic_guard.outcome',
  /** The refusal code (`token_expired`, `signature_invalid`, ...); absent when verified. Semantic convention `error.type`. */
  errorType: 'error.type',
  /** `access`, `id`, or `unknown` (refused before the claims were read). */
  tokenKind: 'dynamic_guard.token.kind',
  /** `cached` (answered by the verified-token cache) or `cold` (parsed and signature checked). */
  path: 'dynamic_guard.verification.path',
  /** The configured Dynamic environment id. */
  environmentId: 'dynamic_guard.environment.id',
  /** `hit` or `miss`. */
  cacheResult: 'dynamic_guard.cache.result',
  /** See {@link JwksFetchResult}. */
  jwksResult: 'dynamic_guard.jwks.result',
  /** The JWKS answer's HTTP status, when there was one. */
  httpStatus: 'http.response.status_code',
  /** `session` or `user`. */
  revocationType: 'dynamic_guard.revocation.type',
  /** The webhook's event name (`user.session.revoked`, ...), or `unknown` before its signature and body were checked. */
  webhookEvent: 'dynamic_guard.webhook.event',
  /** `processed`, `duplicate`, `ignored`, or the refusal (`signature_invalid`, `processing_failed`, ...). */
  webhookOutcome: 'dynamic_guard.webhook.outcome',
} as const

/**
 * How a JWKS fetch ended: `ok`; `rate_limited` (429); `http_3xx`, `http_4xx`, `http_5xx` (any other
 * status than 200); `timeout` (no complete answer in `jwks.timeout`); `network_error` (no answer:
 * DNS, refused, reset); `invalid_body` (200 with a body that is not a JWKS with a usable key).
 */
export type JwksFetchResult =
  | 'ok'
  | 'rate_limited'
  | 'http_3xx'
  | 'http_4xx'
  | 'http_5xx'
  | 'timeout'
  | 'network_error'
  | 'invalid_body'

/** One cached verification in this many is timed for the duration histogram; cold ones always are. */
export const CACHED_DURATION_SAMPLING = 1024

/** Bucket boundaries of the duration histograms, in seconds: 10 µs (a cached hit) to 10 s (a slow JWKS). */
export const DURATION_BUCKETS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
  5, 10,
]
