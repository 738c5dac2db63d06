//! `GET /readyz` (also `GET /api/v1/readyz`): the readiness probe (SPEC §8). Ready when
//! the database answers a cheap query and the journal's commits are not failing; not
//! ready (503) otherwise, and from the moment the server starts shutting down, so that a
//! load balancer sends new clients elsewhere. `GET /healthz` stays the liveness probe.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::limits::READINESS_QUERY_TIMEOUT;

use super::Json;
use super::openapi::{ErrorBody, OPERATIONS};

#[derive(Serialize, ToSchema)]
struct Readiness {
    /// `ready`.
    #[schema(example = "ready")]
    status: &'static str,
    checks: Checks,
}

#[derive(Clone, Copy, Serialize, ToSchema)]
#[schema(as = ReadinessChecks)]
struct Checks {
    /// `ok`, or `unavailable`: the database did not answer a query within 2 s.
    #[schema(example = "ok")]
    database: &'static str,
    /// `ok`, or `failing`: the journal's last commit failed and it is retrying.
    #[schema(example = "ok")]
    journal: &'static str,
    /// `no`, or `yes`: the server is shutting down.
    #[schema(example = "no")]
    stopping: &'static str,
}

impl Checks {
    fn ready(self) -> bool {
        self.database == "ok" && self.journal == "ok" && self.stopping == "no"
    }

    fn explain(self) -> String {
        let mut reasons = Vec::new();
        if self.database != "ok" {
            reasons.push("the database does not answer");
        }
        if self.journal != "ok" {
            reasons.push("the journal's commits are failing");
        }
        if self.stopping != "no" {
            reasons.push("the server is shutting down");
        }
        reasons.join("; ")
    }
}

/// The readiness probe.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = OPERATIONS,
    responses(
        (status = 200, description = "Ready: the database answers and the journal commits", body = Readiness),
        (status = 503, description = "`not_ready`, with `checks` beside `error` saying which: `{\"database\": \"ok\"|\"unavailable\", \"journal\": \"ok\"|\"failing\", \"stopping\": \"no\"|\"yes\"}`", body = ErrorBody),
    )
)]
pub(super) async fn readyz(State(state): State<AppState>) -> Response {
    let database = match tokio::time::timeout(READINESS_QUERY_TIMEOUT, state.store.probe()).await {
        Ok(Ok(())) => "ok",
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: the database does not answer");
            "unavailable"
        }
        Err(_) => {
            tracing::warn!("readiness: the database did not answer in time");
            "unavailable"
        }
    };
    let checks = Checks {
        database,
        journal: if state.rooms.journal_commits_failing() {
            "failing"
        } else {
            "ok"
        },
        stopping: if *state.shutdown.borrow() {
            "yes"
        } else {
            "no"
        },
    };
    if checks.ready() {
        return Json(Readiness {
            status: "ready",
            checks,
        })
        .into_response();
    }
    let body = json!({
        "error": { "code": "not_ready", "message": checks.explain() },
        "checks": checks,
    });
    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
}
