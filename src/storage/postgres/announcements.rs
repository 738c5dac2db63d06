//! Announcements on PostgreSQL (see [`crate::storage::announcements`]).

use async_trait::async_trait;
use sqlx::Postgres;

use crate::domain::{AccountId, LotId};
use crate::storage::announcements::ops::Announcements;
use crate::storage::announcements::{
    Announcement, AnnouncementFilter, AnnouncementKind, NewAnnouncement, Review,
};
use crate::storage::{AnnouncementStore, StoreResult};

use super::PgStore;

#[async_trait]
impl AnnouncementStore for PgStore {
    async fn create_announcement(
        &self,
        new: &NewAnnouncement,
        author: AccountId,
        now_ms: i64,
    ) -> StoreResult<Announcement> {
        Announcements::<Postgres>::create(&self.pool, new, author, now_ms).await
    }

    async fn draft_result_announcement(
        &self,
        lot: LotId,
        title: &str,
        body: &str,
        now_ms: i64,
    ) -> StoreResult<()> {
        Announcements::<Postgres>::draft_result(&self.pool, lot, title, body, now_ms).await
    }

    async fn get_announcement(&self, id: i64) -> StoreResult<Option<Announcement>> {
        Announcements::<Postgres>::get(&self.pool, id).await
    }

    async fn edit_announcement(
        &self,
        id: i64,
        title: &str,
        body: &str,
        now_ms: i64,
    ) -> StoreResult<Announcement> {
        Announcements::<Postgres>::edit(&self.pool, id, title, body, now_ms).await
    }

    async fn review_announcement(
        &self,
        id: i64,
        review: Review,
        by: AccountId,
        reason: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<Announcement> {
        Announcements::<Postgres>::review(&self.pool, id, review, by, reason, now_ms).await
    }

    async fn announcements(
        &self,
        filter: &AnnouncementFilter,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Announcement>> {
        Announcements::<Postgres>::list(&self.pool, filter, before, limit).await
    }

    async fn has_approved_announcement(
        &self,
        lot: LotId,
        kind: AnnouncementKind,
    ) -> StoreResult<bool> {
        Announcements::<Postgres>::has_approved(&self.pool, lot, kind).await
    }
}
