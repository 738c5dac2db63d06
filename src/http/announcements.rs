//! Announcements (公告, SPEC §11): `POST /announcements` (a lot's auctioneer drafts),
//! `PUT /announcements/{id}` (its author changes a draft or a returned one),
//! `POST /announcements/{id}/submit`, `/approve` and `/return` (the review),
//! `GET /announcements` (public: the approved ones, searchable), `GET /announcements/review`
//! (staff: every status) and `GET /announcements/{id}`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::domain::{LotId, Role};
use crate::storage::announcements::{
    Announcement, AnnouncementFilter, AnnouncementKind, AnnouncementStatus, NewAnnouncement, Review,
};
use crate::storage::{Account, StoreError};
use crate::text::TextKind;
use crate::time_format::{self, Rfc3339};

use super::openapi::{ANNOUNCEMENTS, ErrorBody};
use super::paging::{self, positive};
use super::{Admin, ApiError, Auctioneer, Caller, Json, MaybeCaller, required_text};

const MAX_TITLE_CHARS: usize = 200;
const MAX_BODY_CHARS: usize = 20_000;
const MAX_REASON_CHARS: usize = 500;
const MAX_SEARCH_CHARS: usize = 100;
const DEFAULT_ENTRIES: u32 = 50;
const MAX_ENTRIES: u32 = 200;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, public_list))
        .routes(routes!(review_list))
        .routes(routes!(show, edit))
        .routes(routes!(submit))
        .routes(routes!(approve))
        .routes(routes!(send_back))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AnnouncementRequest {
    /// `auction`, `correction`, `termination` or `result`.
    #[schema(example = "auction")]
    kind: String,
    /// The lot it is about: required for every kind.
    #[schema(value_type = i64)]
    lot_id: i64,
    /// 1 to 200 characters.
    #[schema(example = "国有建设用地使用权拍卖公告", max_length = 200)]
    title: String,
    /// 1 to 20,000 characters; newlines and tabs allowed.
    #[schema(max_length = 20000)]
    body: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct EditRequest {
    /// 1 to 200 characters.
    #[schema(max_length = 200)]
    title: String,
    /// 1 to 20,000 characters.
    #[schema(max_length = 20000)]
    body: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AnnouncementReturn)]
pub(super) struct ReturnRequest {
    /// Why it goes back to its author, 1 to 500 characters.
    #[schema(
        example = "the deposit amount does not match the lot",
        max_length = 500
    )]
    reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Announcement)]
pub(super) struct AnnouncementJson {
    id: i64,
    /// `auction`, `correction`, `termination` or `result`.
    #[schema(value_type = String, example = "auction")]
    kind: &'static str,
    #[schema(value_type = Option<i64>)]
    lot_id: Option<LotId>,
    title: String,
    body: String,
    /// `draft`, `submitted`, `approved` (public) or `returned`.
    #[schema(value_type = String, example = "approved")]
    status: &'static str,
    /// Its author's account (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    author_id: Option<i64>,
    /// Drafted by the server (a lot's result at its close).
    generated: bool,
    /// Why an admin returned it (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    created_at: i64,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    updated_at: i64,
    /// When it was approved (published).
    #[serde(
        with = "time_format::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Rfc3339>)]
    published_at: Option<i64>,
}

impl AnnouncementJson {
    /// As `viewer` sees it: the public see what was published, staff see the review too.
    fn new(announcement: Announcement, staff: bool) -> AnnouncementJson {
        let published_at = (announcement.status == AnnouncementStatus::Approved)
            .then_some(announcement.decided_at_ms)
            .flatten();
        AnnouncementJson {
            id: announcement.id,
            kind: announcement.kind.as_str(),
            lot_id: announcement.lot_id,
            title: announcement.title,
            body: announcement.body,
            status: announcement.status.as_str(),
            author_id: staff.then_some(announcement.author_id),
            generated: announcement.generated,
            reason: announcement.reason.filter(|_| staff),
            created_at: announcement.created_at_ms,
            updated_at: announcement.updated_at_ms,
            published_at,
        }
    }
}

fn kind(text: &str) -> Result<AnnouncementKind, ApiError> {
    AnnouncementKind::parse(text)
        .ok_or_else(|| ApiError::invalid("kind is auction, correction, termination or result"))
}

fn path_id(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::not_found("announcement"))
}

fn not_found(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound => ApiError::not_found("announcement"),
        other => other.into(),
    }
}

/// Whether the account may see and handle the announcement before it is public: admins,
/// its author, and the auctioneer of its lot.
async fn handles(
    state: &AppState,
    caller: &Account,
    announcement: &Announcement,
) -> Result<bool, ApiError> {
    if caller.role == Role::Admin || caller.id == announcement.author_id {
        return Ok(true);
    }
    if caller.role != Role::Auctioneer {
        return Ok(false);
    }
    let Some(lot) = announcement.lot_id else {
        return Ok(false);
    };
    Ok(state
        .store
        .get_lot(lot)
        .await?
        .is_some_and(|lot| lot.auctioneer_id == caller.id))
}

/// The announcement, if the caller may handle it (404 for one it may not even see).
async fn handled(state: &AppState, caller: &Account, id: &str) -> Result<Announcement, ApiError> {
    let announcement = state
        .store
        .get_announcement(path_id(id)?)
        .await?
        .ok_or_else(|| ApiError::not_found("announcement"))?;
    if handles(state, caller, &announcement).await? {
        return Ok(announcement);
    }
    if announcement.status == AnnouncementStatus::Approved {
        Err(ApiError::forbidden(
            "only its author, its lot's auctioneer and admins may do this",
        ))
    } else {
        Err(ApiError::not_found("announcement"))
    }
}

/// A lot's auctioneer (or an admin) drafts an announcement about the lot.
#[utoipa::path(
    post,
    path = "/announcements",
    operation_id = "create_announcement",
    tag = ANNOUNCEMENTS,
    security(("bearer" = ["auctioneer", "admin"])),
    request_body = AnnouncementRequest,
    responses(
        (status = 201, description = "The draft", body = AnnouncementJson),
        (status = 400, description = "`invalid_input`: a bad field or an unknown one", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not the lot's auctioneer nor an admin", body = ErrorBody),
        (status = 404, description = "`not_found`: no such lot", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    Auctioneer(caller): Auctioneer,
    Json(request): Json<AnnouncementRequest>,
) -> Result<(StatusCode, Json<AnnouncementJson>), ApiError> {
    if request.lot_id <= 0 {
        return Err(ApiError::invalid("lot_id is a positive whole number"));
    }
    let new = NewAnnouncement {
        kind: kind(&request.kind)?,
        lot_id: Some(request.lot_id),
        title: required_text("title", &request.title, TextKind::Line, MAX_TITLE_CHARS)?,
        body: required_text("body", &request.body, TextKind::Long, MAX_BODY_CHARS)?,
    };
    let lot = state
        .store
        .get_lot(request.lot_id)
        .await?
        .ok_or_else(|| ApiError::not_found("lot"))?;
    if caller.role != Role::Admin && lot.auctioneer_id != caller.id {
        return Err(ApiError::forbidden(
            "only the lot's auctioneer or an admin may announce it",
        ));
    }
    let draft = state
        .store
        .create_announcement(&new, caller.id, state.clock.now_ms())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(AnnouncementJson::new(draft, true)),
    ))
}

/// Its author (or the lot's auctioneer, or an admin) changes a draft or a returned
/// announcement; a returned one becomes a draft again.
#[utoipa::path(
    put,
    path = "/announcements/{id}",
    operation_id = "edit_announcement",
    tag = ANNOUNCEMENTS,
    security(("bearer" = ["auctioneer", "admin"])),
    params(("id" = i64, Path, description = "The announcement's id")),
    request_body = EditRequest,
    responses(
        (status = 200, description = "The changed draft", body = AnnouncementJson),
        (status = 400, description = "`invalid_input`", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`announcement_not_editable`: submitted or approved", body = ErrorBody),
    )
)]
async fn edit(
    State(state): State<AppState>,
    Auctioneer(caller): Auctioneer,
    Path(id): Path<String>,
    Json(request): Json<EditRequest>,
) -> Result<Json<AnnouncementJson>, ApiError> {
    let title = required_text("title", &request.title, TextKind::Line, MAX_TITLE_CHARS)?;
    let body = required_text("body", &request.body, TextKind::Long, MAX_BODY_CHARS)?;
    let announcement = handled(&state, &caller, &id).await?;
    let edited = state
        .store
        .edit_announcement(announcement.id, &title, &body, state.clock.now_ms())
        .await
        .map_err(not_found)?;
    Ok(Json(AnnouncementJson::new(edited, true)))
}

/// Sends a draft (or a returned announcement) to an admin's review.
#[utoipa::path(
    post,
    path = "/announcements/{id}/submit",
    operation_id = "submit_announcement",
    tag = ANNOUNCEMENTS,
    security(("bearer" = ["auctioneer", "admin"])),
    params(("id" = i64, Path, description = "The announcement's id")),
    responses(
        (status = 200, description = "The announcement, `submitted`", body = AnnouncementJson),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`announcement_not_editable`: already submitted or approved", body = ErrorBody),
    )
)]
async fn submit(
    State(state): State<AppState>,
    Auctioneer(caller): Auctioneer,
    Path(id): Path<String>,
) -> Result<Json<AnnouncementJson>, ApiError> {
    let announcement = handled(&state, &caller, &id).await?;
    review(&state, &caller, announcement.id, Review::Submit, None).await
}

/// An admin approves a submitted announcement: it is public from now on.
#[utoipa::path(
    post,
    path = "/announcements/{id}/approve",
    operation_id = "approve_announcement",
    tag = ANNOUNCEMENTS,
    security(("bearer" = ["admin"])),
    params(("id" = i64, Path, description = "The announcement's id")),
    responses(
        (status = 200, description = "The announcement, `approved`", body = AnnouncementJson),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`announcement_not_submitted`", body = ErrorBody),
    )
)]
async fn approve(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
) -> Result<Json<AnnouncementJson>, ApiError> {
    review(&state, &admin, path_id(&id)?, Review::Approve, None).await
}

/// An admin returns a submitted announcement to its author, with a reason.
#[utoipa::path(
    post,
    path = "/announcements/{id}/return",
    operation_id = "return_announcement",
    tag = ANNOUNCEMENTS,
    security(("bearer" = ["admin"])),
    params(("id" = i64, Path, description = "The announcement's id")),
    request_body = ReturnRequest,
    responses(
        (status = 200, description = "The announcement, `returned`", body = AnnouncementJson),
        (status = 400, description = "`invalid_input`: no reason, or one too long", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`announcement_not_submitted`", body = ErrorBody),
    )
)]
async fn send_back(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
    Json(request): Json<ReturnRequest>,
) -> Result<Json<AnnouncementJson>, ApiError> {
    let reason = required_text("reason", &request.reason, TextKind::Long, MAX_REASON_CHARS)?;
    review(&state, &admin, path_id(&id)?, Review::Return, Some(&reason)).await
}

async fn review(
    state: &AppState,
    by: &Account,
    id: i64,
    step: Review,
    reason: Option<&str>,
) -> Result<Json<AnnouncementJson>, ApiError> {
    let reviewed = state
        .store
        .review_announcement(id, step, by.id, reason, state.clock.now_ms())
        .await
        .map_err(not_found)?;
    Ok(Json(AnnouncementJson::new(reviewed, true)))
}

/// An announcement: an approved one to anyone; one still in review to its author, its
/// lot's auctioneer and admins.
#[utoipa::path(
    get,
    path = "/announcements/{id}",
    operation_id = "get_announcement",
    tag = ANNOUNCEMENTS,
    params(("id" = i64, Path, description = "The announcement's id")),
    responses(
        (status = 200, description = "The announcement", body = AnnouncementJson),
        (status = 404, description = "`not_found`: none, or not public and not yours", body = ErrorBody),
    )
)]
async fn show(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(id): Path<String>,
) -> Result<Json<AnnouncementJson>, ApiError> {
    let announcement = state
        .store
        .get_announcement(path_id(&id)?)
        .await?
        .ok_or_else(|| ApiError::not_found("announcement"))?;
    let staff = match &caller {
        // A supervisor reads every announcement, in every status (and changes none).
        Some(caller) if caller.role == Role::Supervisor => true,
        Some(caller) => handles(&state, caller, &announcement).await?,
        None => false,
    };
    if !staff && announcement.status != AnnouncementStatus::Approved {
        return Err(ApiError::not_found("announcement"));
    }
    Ok(Json(AnnouncementJson::new(announcement, staff)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListQuery {
    /// Only this kind: `auction`, `correction`, `termination`, `result`.
    #[param(value_type = Option<String>, example = "result")]
    kind: Option<String>,
    /// Only this lot's.
    #[param(value_type = Option<i64>, minimum = 1)]
    lot_id: Option<String>,
    /// Words in the title or the body (up to 100 characters; Latin letters in any case).
    #[param(value_type = Option<String>, example = "土地")]
    q: Option<String>,
    /// From this time (RFC 3339, inclusive): published then (the public list), or last
    /// changed then (the review list).
    #[param(value_type = Option<String>, example = "2026-12-01T00:00:00Z")]
    from: Option<String>,
    /// Until this time (RFC 3339, exclusive).
    #[param(value_type = Option<String>, example = "2026-12-08T00:00:00Z")]
    to: Option<String>,
    /// The review list only: `draft`, `submitted`, `approved` or `returned`.
    #[param(value_type = Option<String>, example = "submitted")]
    status: Option<String>,
    /// Only announcements older than this id (the last id of the previous page).
    #[param(value_type = Option<i64>, minimum = 1)]
    before: Option<String>,
    /// At most this many (50 unless given).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
}

impl ListQuery {
    fn filter(&self, public: bool) -> Result<(AnnouncementFilter, Option<i64>, u32), ApiError> {
        let time = |name: &str, text: &Option<String>| {
            text.as_deref()
                .map(|text| {
                    time_format::parse_rfc3339(text)
                        .ok_or_else(|| ApiError::invalid(format!("{name} is an RFC 3339 time")))
                })
                .transpose()
        };
        let words = match self.q.as_deref().map(str::trim) {
            Some(words) if words.chars().count() > MAX_SEARCH_CHARS => {
                return Err(ApiError::invalid(format!(
                    "q is at most {MAX_SEARCH_CHARS} characters"
                )));
            }
            Some("") | None => None,
            Some(words) => Some(words.to_owned()),
        };
        let status = self
            .status
            .as_deref()
            .map(|text| {
                AnnouncementStatus::parse(text).ok_or_else(|| {
                    ApiError::invalid("status is draft, submitted, approved or returned")
                })
            })
            .transpose()?;
        if public && status.is_some() {
            return Err(ApiError::invalid(
                "status is for GET /announcements/review: the public list holds approved ones",
            ));
        }
        let filter = AnnouncementFilter {
            kind: self.kind.as_deref().map(kind).transpose()?,
            lot_id: self
                .lot_id
                .as_deref()
                .map(|text| positive("lot_id", text))
                .transpose()?,
            text: words,
            public,
            status,
            auctioneer: None,
            from_ms: time("from", &self.from)?,
            to_ms: time("to", &self.to)?,
        };
        let before = self
            .before
            .as_deref()
            .map(|text| positive("before", text))
            .transpose()?;
        let limit = paging::limit(self.limit.as_deref(), DEFAULT_ENTRIES, MAX_ENTRIES)?;
        Ok((filter, before, limit))
    }
}

/// The published (approved) announcements, newest first: anyone may read and search them.
#[utoipa::path(
    get,
    path = "/announcements",
    operation_id = "list_announcements",
    tag = ANNOUNCEMENTS,
    params(ListQuery),
    responses(
        (status = 200, description = "The approved announcements", body = Vec<AnnouncementJson>),
        (status = 400, description = "`invalid_input`: a bad filter or limit", body = ErrorBody),
    )
)]
async fn public_list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Vec<AnnouncementJson>>, ApiError> {
    let Query(query) = query.map_err(|rejection| ApiError::invalid(rejection.body_text()))?;
    let (filter, before, limit) = query.filter(true)?;
    let found = state.store.announcements(&filter, before, limit).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|announcement| AnnouncementJson::new(announcement, false))
            .collect(),
    ))
}

/// Announcements in every status, newest first: admins and supervisors see all of them
/// (the review queue: `?status=submitted`), an auctioneer those it wrote or about its lots.
#[utoipa::path(
    get,
    path = "/announcements/review",
    operation_id = "review_announcements",
    tag = ANNOUNCEMENTS,
    security(("bearer" = ["auctioneer", "admin", "supervisor"])),
    params(ListQuery),
    responses(
        (status = 200, description = "The announcements", body = Vec<AnnouncementJson>),
        (status = 400, description = "`invalid_input`: a bad filter or limit", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not staff", body = ErrorBody),
    )
)]
async fn review_list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Vec<AnnouncementJson>>, ApiError> {
    // Who may look comes before what the query asks.
    let auctioneer = match caller.role {
        Role::Admin | Role::Supervisor => None,
        Role::Auctioneer => Some(caller.id),
        Role::Bidder => {
            return Err(ApiError::forbidden(
                "only staff see announcements under review",
            ));
        }
    };
    let Query(query) = query.map_err(|rejection| ApiError::invalid(rejection.body_text()))?;
    let (mut filter, before, limit) = query.filter(false)?;
    filter.auctioneer = auctioneer;
    let found = state.store.announcements(&filter, before, limit).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|announcement| AnnouncementJson::new(announcement, true))
            .collect(),
    ))
}
