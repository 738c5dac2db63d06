//! What every request goes through (SPEC §8), outermost first: its request id and trace
//! span, the HTTP metrics by route and status, the request timeout, and the body limit;
//! CORS for the configured origins on the REST routes only.

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::config::ServeConfig;
use crate::limits::MAX_REQUEST_BODY_BYTES;

use super::ApiError;

/// The header a request id travels in, both ways.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// A client's own request id is kept when it is 1 to this many characters of letters,
/// digits, `-`, `_`, `.` and `:` (a UUID, a trace id); anything else is replaced, so that
/// no log line carries a client's control characters or an unbounded string.
const MAX_CLIENT_REQUEST_ID_CHARS: usize = 64;

/// The request's id: the client's if it sent a sane one, else a new one. In the request's
/// extensions, on its trace span (so on every log line of it), and on its response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    fn of(request: &Request) -> RequestId {
        request
            .headers()
            .get(&REQUEST_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .filter(|id| is_sane_request_id(id))
            .map(|id| RequestId(id.to_owned()))
            .unwrap_or_else(RequestId::generate)
    }

    /// 128 random bits in hex.
    fn generate() -> RequestId {
        RequestId(format!("{:032x}", rand::random::<u128>()))
    }
}

fn is_sane_request_id(id: &str) -> bool {
    (1..=MAX_CLIENT_REQUEST_ID_CHARS).contains(&id.len())
        && id
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':'))
}

/// Wraps the router (REST, WebSocket upgrade and pages alike) in the layers every request
/// goes through. `Router::layer` runs them after routing, so each knows its matched route.
pub(super) fn around_every_request(router: Router, config: &ServeConfig) -> Router {
    let timeout = config.request_timeout();
    router
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY_BYTES))
        .layer(middleware::from_fn(move |request, next| {
            cut_off_after(timeout, request, next)
        }))
        .layer(middleware::from_fn(count_request))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let request_id = request
                    .extensions()
                    .get::<RequestId>()
                    .map_or("", |id| id.0.as_str());
                tracing::info_span!(
                    "request",
                    request_id,
                    method = %request.method(),
                    uri = %request.uri(),
                )
            }),
        )
        .layer(middleware::from_fn(tag_request))
}

/// Gives the request its id (before the trace span opens) and puts it on the response.
async fn tag_request(mut request: Request, next: Next) -> Response {
    let id = RequestId::of(&request);
    request.extensions_mut().insert(id.clone());
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// The HTTP request duration histogram's name, and its buckets: a REST answer is a few
/// milliseconds, a sign-in's password hash ~50 ms, and the request timeout 30 s.
pub const HTTP_DURATION_METRIC: &str = "bidroom_http_request_duration_seconds";
pub const HTTP_DURATION_BUCKETS_SECS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// `bidroom_http_requests_total{method,route,status}` and
/// `bidroom_http_request_duration_seconds{method,route}`, by the matched route template
/// (`/api/v1/lots/{id}`), never the raw path: a client cannot grow the label set. A path
/// no route matches counts as `unmatched`.
async fn count_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(
        "bidroom_http_requests_total",
        "method" => method.clone(),
        "route" => route.clone(),
        "status" => status,
    )
    .increment(1);
    metrics::histogram!(
        HTTP_DURATION_METRIC,
        "method" => method,
        "route" => route,
    )
    .record(started.elapsed().as_secs_f64());
    response
}

/// A request whose handling, body included, takes longer than `timeout` is dropped and
/// answered 408 `request_timeout`: a client stalling in its body, or a handler waiting on a
/// database that hangs, never holds a worker for good. A WebSocket upgrade is answered at
/// once, and the upgraded connection runs on its own task, outside this timeout.
async fn cut_off_after(timeout: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            metrics::counter!("bidroom_http_refusals_total", "code" => "request_timeout")
                .increment(1);
            ApiError::request_timeout(timeout.as_secs()).into_response()
        }
    }
}

/// CORS for the `--allowed-origin`s, on the REST routes: a preflight or a request from one
/// of them is answered with the headers that let a browser page there call the API with a
/// bearer token; any other origin gets no CORS header (the browser then refuses the page).
/// Origins compare as the WebSocket's origin check compares them: case-insensitively,
/// without a trailing `/`.
pub(super) fn cors(config: &ServeConfig) -> Option<CorsLayer> {
    if config.allowed_origins.is_empty() {
        return None;
    }
    let allowed: Vec<String> = config
        .allowed_origins
        .iter()
        .map(|origin| origin.trim_end_matches('/').to_ascii_lowercase())
        .collect();
    let allow_origin = AllowOrigin::predicate(move |origin: &HeaderValue, _| {
        origin.to_str().is_ok_and(|origin| {
            let origin = origin.trim_end_matches('/').to_ascii_lowercase();
            allowed.contains(&origin)
        })
    });
    Some(
        CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods([Method::GET, Method::POST, Method::DELETE])
            .allow_headers([
                AUTHORIZATION,
                CONTENT_TYPE,
                HeaderName::from_static("idempotency-key"),
                REQUEST_ID_HEADER,
            ])
            .expose_headers([REQUEST_ID_HEADER, RETRY_AFTER])
            .max_age(Duration::from_secs(10 * 60)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clients_request_id_is_kept_only_when_it_is_short_and_plain() {
        for sane in [
            "abc",
            "0f8c2d4e-9a1b-4c3d-8e7f-6a5b4c3d2e1f",
            "trace:span.1_x",
        ] {
            assert!(is_sane_request_id(sane), "{sane}");
        }
        let long = "x".repeat(MAX_CLIENT_REQUEST_ID_CHARS + 1);
        for insane in [
            "",
            "has space",
            "quote\"",
            "new\nline",
            "名字",
            long.as_str(),
        ] {
            assert!(!is_sane_request_id(insane), "{insane:?}");
        }
    }

    #[test]
    fn a_generated_request_id_is_sane_and_new_each_time() {
        let first = RequestId::generate();
        assert!(is_sane_request_id(&first.0));
        assert_eq!(first.0.len(), 32);
        assert_ne!(first, RequestId::generate());
    }
}
