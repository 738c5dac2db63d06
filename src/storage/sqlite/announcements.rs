//! Announcements on SQLite (see [`crate::storage::announcements`]).

use async_trait::async_trait;
use sqlx::Sqlite;

use crate::domain::{AccountId, LotId};
use crate::storage::announcements::ops::Announcements;
use crate::storage::announcements::{
    Announcement, AnnouncementFilter, AnnouncementKind, NewAnnouncement, Review,
};
use crate::storage::{AnnouncementStore, StoreResult};

use super::SqliteStore;

#[async_trait]
impl AnnouncementStore for SqliteStore {
    async fn create_announcement(
        &self,
        new: &NewAnnouncement,
        author: AccountId,
        now_ms: i64,
    ) -> StoreResult<Announcement> {
        Announcements::<Sqlite>::create(&self.writer, new, author, now_ms).await
    }

    async fn draft_result_announcement(
        &self,
        lot: LotId,
        title: &str,
        body: &str,
        now_ms: i64,
    ) -> StoreResult<()> {
        Announcements::<Sqlite>::draft_result(&self.writer, lot, title, body, now_ms).await
    }

    async fn get_announcement(&self, id: i64) -> StoreResult<Option<Announcement>> {
        Announcements::<Sqlite>::get(&self.reader, id).await
    }

    async fn edit_announcement(
        &self,
        id: i64,
        title: &str,
        body: &str,
        now_ms: i64,
    ) -> StoreResult<Announcement> {
        Announcements::<Sqlite>::edit(&self.writer, id, title, body, now_ms).await
    }

    async fn review_announcement(
        &self,
        id: i64,
        review: Review,
        by: AccountId,
        reason: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<Announcement> {
        Announcements::<Sqlite>::review(&self.writer, id, review, by, reason, now_ms).await
    }

    async fn announcements(
        &self,
        filter: &AnnouncementFilter,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Announcement>> {
        Announcements::<Sqlite>::list(&self.reader, filter, before, limit).await
    }

    async fn has_approved_announcement(
        &self,
        lot: LotId,
        kind: AnnouncementKind,
    ) -> StoreResult<bool> {
        Announcements::<Sqlite>::has_approved(&self.reader, lot, kind).await
    }
}
