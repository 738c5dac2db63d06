//! The REST API's OpenAPI 3.1 document (SPEC §8), `GET /api/v1/openapi.json`.
//!
//! The document is built by the same [`OpenApiRouter`](utoipa_axum::router::OpenApiRouter)
//! that mounts the routes: a handler is mounted with `.routes(routes!(handler))`, and its
//! `#[utoipa::path]` (method, path, parameters, body, answers) goes into the document in
//! the same call, so the two cannot drift. `tests/openapi.rs` walks the real router and
//! fails on any route under `/api/v1` that the document lacks.
//!
//! Shared pieces every route's documentation uses live here: the error body, the bearer
//! scheme, the tags.

use axum::Extension;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

/// Tags group the operations in the document, one per part of the API.
pub(super) const ACCOUNTS: &str = "accounts";
pub(super) const LOTS: &str = "lots";
pub(super) const APPLICATIONS: &str = "applications";
pub(super) const MONEY: &str = "money";
pub(super) const ANNOUNCEMENTS: &str = "announcements";
pub(super) const OPERATIONS: &str = "operations";
pub(super) const STATISTICS: &str = "statistics";

/// The name of the bearer scheme, as operations cite it: `security(("bearer" = []))` for
/// any signed-in account, or with the roles that may call it, any one of which will do:
/// `security(("bearer" = ["auctioneer", "admin"]))` (OpenAPI 3.1 lets a requirement of a
/// scheme other than OAuth list "role names which are required for the execution").
pub(super) const BEARER: &str = "bearer";

/// The bank integration's signature, `X-Signature`, the HMAC-SHA256 of the raw body.
pub(super) const BANK_SIGNATURE: &str = "bank_signature";

/// The document's frame: title, version, the bearer scheme and the tags. The paths and
/// their schemas are added by the router, route by route.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "bidroom REST API",
        description = "A real-time auction server's REST API. Money is a decimal string \
            (\"1250.00\"), never a number; times are RFC 3339 strings in UTC; ids are \
            integers. Every error is `{\"error\":{\"code\",\"message\"}}`. The live room is \
            the WebSocket at `/ws`, described in `docs/protocol.md`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    modifiers(&BearerScheme),
    components(schemas(ErrorBody, ErrorDetail)),
    tags(
        (name = ACCOUNTS, description = "Accounts, sessions, passwords, real-name verification, suspensions"),
        (name = LOTS, description = "Lots, their bids and results"),
        (name = APPLICATIONS, description = "Applications (报名) and their decisions"),
        (name = MONEY, description = "Wallets, bank notifications, deposits, guarantees, \
            withdrawals, settlements, the ledger"),
        (name = ANNOUNCEMENTS, description = "Announcements (公告): drafts, review, the public list"),
        (name = OPERATIONS, description = "Liveness, metrics, this document, load-test seeding"),
        (name = STATISTICS, description = "The back office's weekly statistics"),
    )
)]
pub(super) struct ApiDoc;

/// `Authorization: Bearer TOKEN`, the token from `POST /api/v1/sessions`; and the bank's
/// `X-Signature`.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A session token from `POST /api/v1/sessions`, valid until its \
                         `expires_at`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            BANK_SIGNATURE,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Signature",
                "The bank integration's hex HMAC-SHA256 of the raw body under the bank secret \
                 (`--bank-secret`).",
            ))),
        );
    }
}

/// The answers every route may give whatever it does (SPEC §8), added to each operation of
/// the built document: 408 past the request timeout, 413 over a body limit.
pub(super) fn add_limit_answers(document: &mut utoipa::openapi::OpenApi) {
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let answers = &mut operation.responses.responses;
            answers.insert(
                "408".to_owned(),
                error_answer(
                    "`request_timeout`: the request was not done within the server's \
                     `--request-timeout-secs` (30 s unless configured)",
                ),
            );
            if operation.request_body.is_some() {
                answers.insert(
                    "413".to_owned(),
                    error_answer(
                        "`payload_too_large`: a body over 64 KiB, unless the request body's \
                         description gives this route's own limit",
                    ),
                );
            }
        }
    }
}

fn error_answer(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build(),
    )
}

/// Every error the API answers: `{"error":{"code","message"}}` (see [`super::ApiError`]).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"error": {"code": "not_found", "message": "no such lot"}}))]
pub(super) struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub(super) struct ErrorDetail {
    /// A stable code: `invalid_input` (400), `not_authenticated` (401), `forbidden` (403),
    /// `not_found` (404), `request_timeout` (408), a conflict's own code (409),
    /// `payload_too_large` (413), `rate_limited` (429, with `Retry-After`), `internal`
    /// (500), or the code a route documents.
    code: String,
    /// A sentence for people; not for programs to match on.
    message: String,
    /// Only in the 400 of a refused item list (`PUT /lots/{id}/items`): every bad cell (at
    /// most 100), in row then column order; an error of the whole file (not UTF-8, not a
    /// workbook, empty) has no `row` nor `column`.
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<Vec<crate::lot_items::CellError>>,
}

/// The document as served: serialized once at start.
#[derive(Clone)]
pub(super) struct Document(pub bytes::Bytes);

/// `GET /api/v1/openapi.json`: this API's OpenAPI 3.1 document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "get_openapi_document",
    tag = OPERATIONS,
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of this API",
            content_type = "application/json", body = Object),
    )
)]
pub(super) async fn document(Extension(document): Extension<Document>) -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], document.0)
}
