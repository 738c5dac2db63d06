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
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// Tags group the operations in the document, one per part of the API.
pub(super) const ACCOUNTS: &str = "accounts";
pub(super) const LOTS: &str = "lots";
pub(super) const APPLICATIONS: &str = "applications";
pub(super) const MONEY: &str = "money";
pub(super) const OPERATIONS: &str = "operations";

/// The name of the bearer scheme, as operations cite it: `security(("bearer" = []))`.
pub(super) const BEARER: &str = "bearer";

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
        (name = ACCOUNTS, description = "Accounts, sessions, real-name verification"),
        (name = LOTS, description = "Lots, their bids and results"),
        (name = APPLICATIONS, description = "Applications (报名) and their decisions"),
        (name = MONEY, description = "Wallets, bank notifications, deposits, guarantees, \
            withdrawals, settlements, the ledger"),
        (name = OPERATIONS, description = "Liveness, metrics, this document, load-test seeding"),
    )
)]
pub(super) struct ApiDoc;

/// `Authorization: Bearer TOKEN`, the token from `POST /api/v1/sessions`.
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
    }
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
    /// `not_found` (404), a conflict's own code (409), `internal` (500), or the code a
    /// route documents.
    code: String,
    /// A sentence for people; not for programs to match on.
    message: String,
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
