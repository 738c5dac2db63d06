//! Announcements (公告, SPEC §11): an auction announcement before a lot is published, a
//! correction of its terms, its termination, its result. A lot's auctioneer drafts one and
//! submits it; an admin approves it (it is public from then on) or returns it with a
//! reason, and the author may change and submit it again. The server drafts a lot's result
//! announcement itself at the close (`generated`, at most one per lot).

use async_trait::async_trait;

use super::StoreResult;
use crate::domain::{AccountId, LotId};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnnouncementKind {
    /// 拍卖公告: the lot is offered (required to publish it on an exchange that reviews).
    Auction,
    /// 更正公告: a change to a published lot's announcement.
    Correction,
    /// 终止公告: the lot is withdrawn (required to cancel it on an exchange that reviews).
    Termination,
    /// 成交/结果公告: how the lot ended.
    Result,
}

impl AnnouncementKind {
    pub const ALL: [AnnouncementKind; 4] = [
        AnnouncementKind::Auction,
        AnnouncementKind::Correction,
        AnnouncementKind::Termination,
        AnnouncementKind::Result,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AnnouncementKind::Auction => "auction",
            AnnouncementKind::Correction => "correction",
            AnnouncementKind::Termination => "termination",
            AnnouncementKind::Result => "result",
        }
    }

    pub fn parse(text: &str) -> Option<AnnouncementKind> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnnouncementStatus {
    /// Being written: only its author and admins see it.
    Draft,
    /// Waiting for an admin's review.
    Submitted,
    /// Public.
    Approved,
    /// Sent back by an admin with a reason: its author may change it and submit it again.
    Returned,
}

impl AnnouncementStatus {
    pub const ALL: [AnnouncementStatus; 4] = [
        AnnouncementStatus::Draft,
        AnnouncementStatus::Submitted,
        AnnouncementStatus::Approved,
        AnnouncementStatus::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AnnouncementStatus::Draft => "draft",
            AnnouncementStatus::Submitted => "submitted",
            AnnouncementStatus::Approved => "approved",
            AnnouncementStatus::Returned => "returned",
        }
    }

    pub fn parse(text: &str) -> Option<AnnouncementStatus> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// Whether its author may still change it (and submit it).
    pub fn is_editable(self) -> bool {
        matches!(
            self,
            AnnouncementStatus::Draft | AnnouncementStatus::Returned
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    pub id: i64,
    pub kind: AnnouncementKind,
    pub lot_id: Option<LotId>,
    pub title: String,
    pub body: String,
    pub status: AnnouncementStatus,
    pub author_id: AccountId,
    /// Drafted by the server (a lot's result at its close).
    pub generated: bool,
    /// Why an admin returned it.
    pub reason: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub decided_by: Option<AccountId>,
    /// When an admin approved (published) or returned it.
    pub decided_at_ms: Option<i64>,
}

/// An announcement as its author writes it.
#[derive(Clone, Debug)]
pub struct NewAnnouncement {
    pub kind: AnnouncementKind,
    pub lot_id: Option<LotId>,
    pub title: String,
    pub body: String,
}

/// A review step: from which statuses, to which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Review {
    /// The author sends a draft (or a returned one) to review.
    Submit,
    /// An admin publishes a submitted one.
    Approve,
    /// An admin sends a submitted one back.
    Return,
}

impl Review {
    fn to(self) -> AnnouncementStatus {
        match self {
            Review::Submit => AnnouncementStatus::Submitted,
            Review::Approve => AnnouncementStatus::Approved,
            Review::Return => AnnouncementStatus::Returned,
        }
    }

    fn allowed_from(self, status: AnnouncementStatus) -> bool {
        match self {
            Review::Submit => status.is_editable(),
            Review::Approve | Review::Return => status == AnnouncementStatus::Submitted,
        }
    }
}

/// Which announcements a listing holds.
#[derive(Clone, Debug, Default)]
pub struct AnnouncementFilter {
    pub kind: Option<AnnouncementKind>,
    pub lot_id: Option<LotId>,
    /// Words in the title or the body (case-insensitive for Latin letters).
    pub text: Option<String>,
    /// Approved (public) ones only, dated by their publication; else every status, dated
    /// by their last change.
    pub public: bool,
    pub status: Option<AnnouncementStatus>,
    /// Only this auctioneer's: the ones it wrote or about its lots.
    pub auctioneer: Option<AccountId>,
    /// From this time (inclusive) to that one (exclusive).
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

#[async_trait]
pub trait AnnouncementStore {
    async fn create_announcement(
        &self,
        new: &NewAnnouncement,
        author: AccountId,
        now_ms: i64,
    ) -> StoreResult<Announcement>;

    /// Drafts the lot's result announcement in its auctioneer's name, once: a second call
    /// for the same lot changes nothing.
    async fn draft_result_announcement(
        &self,
        lot: LotId,
        title: &str,
        body: &str,
        now_ms: i64,
    ) -> StoreResult<()>;

    async fn get_announcement(&self, id: i64) -> StoreResult<Option<Announcement>>;

    /// Changes a draft's or a returned announcement's title and body (a returned one
    /// becomes a draft again). [`super::Conflict::AnnouncementNotEditable`] otherwise.
    async fn edit_announcement(
        &self,
        id: i64,
        title: &str,
        body: &str,
        now_ms: i64,
    ) -> StoreResult<Announcement>;

    /// Takes a review step; `reason` for a return. A step the announcement's status does
    /// not allow is [`super::Conflict::AnnouncementNotEditable`] (submit) or
    /// [`super::Conflict::AnnouncementNotSubmitted`] (approve, return).
    async fn review_announcement(
        &self,
        id: i64,
        review: Review,
        by: AccountId,
        reason: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<Announcement>;

    /// Newest first (by id), after `before` if given.
    async fn announcements(
        &self,
        filter: &AnnouncementFilter,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Announcement>>;

    /// Whether the lot has an approved announcement of this kind.
    async fn has_approved_announcement(
        &self,
        lot: LotId,
        kind: AnnouncementKind,
    ) -> StoreResult<bool>;
}

pub(super) mod ops;
