//! The browser pages (SPEC §9), embedded in the binary: each page route answers its HTML
//! shell from `web/`, `/assets/*` serves the stylesheet, scripts and strings under `web/`,
//! and `/assets/client-js/*` the client library's modules from `client-js/src/`.
//!
//! Nothing is built or fetched at start: the files are compiled in (`debug-embed` makes
//! debug builds and tests embed them too, so a test sees what a release serves). Every
//! page carries a Content-Security-Policy that allows only this server's own scripts and
//! styles, with no inline code.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::{EmbeddedFile, RustEmbed};

use crate::app::AppState;

#[derive(RustEmbed)]
#[folder = "web/"]
struct WebFiles;

/// The client library's own directory; the pages import it as `/assets/client-js/index.js`.
#[derive(RustEmbed)]
#[folder = "client-js/src/"]
struct ClientJsFiles;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|headers: HeaderMap| page("index.html", headers)))
        .route("/lots/{id}", get(room))
        .route("/me", get(|headers: HeaderMap| page("me.html", headers)))
        .route(
            "/console",
            get(|headers: HeaderMap| page("console.html", headers)),
        )
        .route("/console/lots/{id}", get(room))
        .route(
            "/admin",
            get(|headers: HeaderMap| page("admin.html", headers)),
        )
        .route("/assets/{*path}", get(asset))
}

/// The live room and the monitor share one page: the snapshot's `you.monitor` tells it
/// which view to draw. The lot id is read by the page from its own address.
async fn room(Path(_lot): Path<String>, headers: HeaderMap) -> Response {
    page("room.html", headers).await
}

async fn page(name: &'static str, headers: HeaderMap) -> Response {
    let Some(file) = WebFiles::get(name) else {
        return not_found();
    };
    let mut response = cached(file, "text/html; charset=utf-8", &headers);
    let policy = content_security_policy(&headers);
    let page_headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        page_headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    page_headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    page_headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let file = match path.strip_prefix("client-js/") {
        Some(library_path) => ClientJsFiles::get(library_path),
        // The shells are pages, served with their policy by the page routes only.
        None if path.ends_with(".html") => None,
        None => WebFiles::get(&path),
    };
    match file {
        Some(file) => {
            let content_type = content_type(&path);
            cached(file, content_type, &headers)
        }
        None => not_found(),
    }
}

/// The files change only with the binary, but their names carry no version: a browser
/// keeps them and asks again each time (`no-cache`), and the ETag (the file's SHA-256)
/// turns an unchanged file into a 304 without its body.
fn cached(file: EmbeddedFile, content_type: &'static str, request: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", hex::encode(file.metadata.sha256_hash()));
    let unchanged = request
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    let etag = HeaderValue::from_str(&etag).expect("a hex digest in quotes is a header value");
    let common: [(HeaderName, HeaderValue); 4] = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
    ];
    if unchanged {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (StatusCode::OK, common, file.data.into_owned()).into_response()
}

fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map(|(_, extension)| extension);
    match extension {
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("html") => "text/html; charset=utf-8",
        Some("ts") => "text/plain; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        )],
        "not found",
    )
        .into_response()
}

/// Only this server's own files run or style a page; it may talk to its own origin and to
/// its own WebSocket endpoint (named explicitly: not every browser counts `ws:` of the
/// same host as `'self'`), and no other site may frame it.
fn content_security_policy(request: &HeaderMap) -> String {
    let mut connect = String::from("'self'");
    if let Some(host) = request
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| is_plain_host(host))
    {
        connect.push_str(&format!(" ws://{host} wss://{host}"));
    }
    // The confirmation document, opened from a blob URL, runs under this policy: its one
    // inline style is allowed by its hash.
    let confirmation_style = super::money::confirmation_style_source();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self' {confirmation_style}; \
         img-src 'self' data: blob:; connect-src {connect}; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// A host and port as a browser sends them (`127.0.0.1:8080`, `[::1]:80`,
/// `exchange.example`): nothing that could end the directive or add a source.
fn is_plain_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b".-:[]".contains(&byte))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_with_a_space_or_semicolon_is_not_copied_into_the_policy() {
        assert!(is_plain_host("127.0.0.1:8080"));
        assert!(is_plain_host("[::1]:8080"));
        assert!(!is_plain_host("evil.example; script-src *"));
        assert!(!is_plain_host("a b"));
        assert!(!is_plain_host(""));
    }

    #[test]
    fn modules_and_strings_get_their_types() {
        assert_eq!(content_type("js/api.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("css/app.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("i18n/en/common.json"), "application/json");
        assert_eq!(content_type("blob"), "application/octet-stream");
    }
}
