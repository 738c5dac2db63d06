//! The announcement operations, written once for both databases (see `accounts/ops.rs` for
//! the pattern).

use std::marker::PhantomData;

use sqlx::{Executor, FromRow, IntoArguments, Pool};

use crate::domain::{AccountId, LotId};
use crate::storage::dialect::{Column, Dialect};
use crate::storage::{Conflict, StoreError, StoreResult};

use super::{
    Announcement, AnnouncementFilter, AnnouncementKind, AnnouncementStatus, NewAnnouncement, Review,
};

const COLUMNS: &str = "id, kind, lot_id, title, body, status, author_id, generated, reason, \
    created_at_ms, updated_at_ms, decided_by, decided_at_ms";

/// An announcement as stored: kind and status as their names.
#[derive(FromRow)]
pub(in crate::storage) struct AnnouncementRow {
    id: i64,
    kind: String,
    lot_id: Option<i64>,
    title: String,
    body: String,
    status: String,
    author_id: i64,
    generated: bool,
    reason: Option<String>,
    created_at_ms: i64,
    updated_at_ms: i64,
    decided_by: Option<i64>,
    decided_at_ms: Option<i64>,
}

impl TryFrom<AnnouncementRow> for Announcement {
    type Error = StoreError;

    fn try_from(row: AnnouncementRow) -> Result<Announcement, StoreError> {
        let kind = AnnouncementKind::parse(&row.kind)
            .ok_or_else(|| anyhow::anyhow!("an announcement of unknown kind {}", row.kind))?;
        let status = AnnouncementStatus::parse(&row.status)
            .ok_or_else(|| anyhow::anyhow!("an announcement in unknown status {}", row.status))?;
        Ok(Announcement {
            id: row.id,
            kind,
            lot_id: row.lot_id,
            title: row.title,
            body: row.body,
            status,
            author_id: row.author_id,
            generated: row.generated,
            reason: row.reason,
            created_at_ms: row.created_at_ms,
            updated_at_ms: row.updated_at_ms,
            decided_by: row.decided_by,
            decided_at_ms: row.decided_at_ms,
        })
    }
}

/// A `LIKE` pattern that finds `words` anywhere, lower-cased (the query lower-cases the
/// columns), with `%`, `_` and `\` taken literally.
fn contains_pattern(words: &str) -> String {
    let mut pattern = String::from("%");
    for character in words.to_lowercase().chars() {
        if matches!(character, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(character);
    }
    pattern.push('%');
    pattern
}

fn list_sql(public: bool) -> String {
    // The public list is dated by publication, the review list by the last change.
    let at = if public {
        "decided_at_ms"
    } else {
        "updated_at_ms"
    };
    format!(
        "SELECT {COLUMNS} FROM announcements WHERE \
         (CAST($1 AS TEXT) IS NULL OR kind = $1) \
         AND (CAST($2 AS BIGINT) IS NULL OR lot_id = $2) \
         AND (CAST($3 AS TEXT) IS NULL OR lower(title) LIKE $3 ESCAPE '\\' OR lower(body) LIKE $3 ESCAPE '\\') \
         AND (CAST($4 AS TEXT) IS NULL OR status = $4) \
         AND (CAST($5 AS BIGINT) IS NULL OR author_id = $5 \
              OR lot_id IN (SELECT id FROM lots WHERE auctioneer_id = $5)) \
         AND (CAST($6 AS BIGINT) IS NULL OR {at} >= $6) \
         AND (CAST($7 AS BIGINT) IS NULL OR {at} < $7) \
         AND (CAST($8 AS BIGINT) IS NULL OR id < $8) \
         ORDER BY id DESC LIMIT $9"
    )
}

pub(in crate::storage) struct Announcements<DB>(PhantomData<DB>);

impl<DB> Announcements<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: Column<DB>,
    Option<i64>: Column<DB>,
    String: Column<DB>,
    (i64,): for<'r> FromRow<'r, DB::Row>,
    for<'r> AnnouncementRow: FromRow<'r, DB::Row>,
{
    async fn one<'q>(
        pool: &Pool<DB>,
        query: sqlx::query::QueryAs<'q, DB, AnnouncementRow, DB::Arguments<'q>>,
    ) -> StoreResult<Option<Announcement>> {
        query
            .fetch_optional(pool)
            .await?
            .map(Announcement::try_from)
            .transpose()
    }

    pub(in crate::storage) async fn create(
        writer: &Pool<DB>,
        new: &NewAnnouncement,
        author: AccountId,
        now_ms: i64,
    ) -> StoreResult<Announcement> {
        let sql = format!(
            "INSERT INTO announcements (kind, lot_id, title, body, status, author_id, generated, \
             created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, 'draft', $5, FALSE, $6, $6) \
             RETURNING {COLUMNS}"
        );
        let query = sqlx::query_as(&sql)
            .bind(new.kind.as_str())
            .bind(new.lot_id)
            .bind(new.title.as_str())
            .bind(new.body.as_str())
            .bind(author)
            .bind(now_ms);
        Self::one(writer, query)
            .await?
            .ok_or_else(|| anyhow::anyhow!("an insert that returned nothing").into())
    }

    pub(in crate::storage) async fn draft_result(
        writer: &Pool<DB>,
        lot: LotId,
        title: &str,
        body: &str,
        now_ms: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO announcements (kind, lot_id, title, body, status, author_id, generated, \
             created_at_ms, updated_at_ms) \
             SELECT 'result', id, $2, $3, 'draft', auctioneer_id, TRUE, $4, $4 FROM lots WHERE id = $1 \
             ON CONFLICT DO NOTHING",
        )
        .bind(lot)
        .bind(title)
        .bind(body)
        .bind(now_ms)
        .execute(writer)
        .await?;
        Ok(())
    }

    pub(in crate::storage) async fn get(
        reader: &Pool<DB>,
        id: i64,
    ) -> StoreResult<Option<Announcement>> {
        let sql = format!("SELECT {COLUMNS} FROM announcements WHERE id = $1");
        Self::one(reader, sqlx::query_as(&sql).bind(id)).await
    }

    /// An update that found nothing to change: the announcement is missing, or its status
    /// refuses the change.
    async fn refused(
        writer: &Pool<DB>,
        id: i64,
        conflict: fn(AnnouncementStatus) -> Conflict,
    ) -> StoreError {
        match Self::get(writer, id).await {
            Ok(Some(found)) => conflict(found.status).into(),
            Ok(None) => StoreError::NotFound,
            Err(error) => error,
        }
    }

    pub(in crate::storage) async fn edit(
        writer: &Pool<DB>,
        id: i64,
        title: &str,
        body: &str,
        now_ms: i64,
    ) -> StoreResult<Announcement> {
        let sql = format!(
            "UPDATE announcements SET title = $2, body = $3, status = 'draft', updated_at_ms = $4 \
             WHERE id = $1 AND status IN ('draft', 'returned') RETURNING {COLUMNS}"
        );
        let query = sqlx::query_as(&sql)
            .bind(id)
            .bind(title)
            .bind(body)
            .bind(now_ms);
        match Self::one(writer, query).await? {
            Some(edited) => Ok(edited),
            None => Err(Self::refused(writer, id, Conflict::AnnouncementNotEditable).await),
        }
    }

    pub(in crate::storage) async fn review(
        writer: &Pool<DB>,
        id: i64,
        review: Review,
        by: AccountId,
        reason: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<Announcement> {
        let from = AnnouncementStatus::ALL
            .into_iter()
            .filter(|status| review.allowed_from(*status))
            .map(|status| format!("'{}'", status.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let (decided_by, decided_at_ms) = match review {
            // Sent to review again: the last decision no longer stands.
            Review::Submit => (None, None),
            Review::Approve | Review::Return => (Some(by), Some(now_ms)),
        };
        let sql = format!(
            "UPDATE announcements SET status = $2, reason = $3, decided_by = $4, \
             decided_at_ms = $5, updated_at_ms = $6 WHERE id = $1 AND status IN ({from}) \
             RETURNING {COLUMNS}"
        );
        let query = sqlx::query_as(&sql)
            .bind(id)
            .bind(review.to().as_str())
            .bind(reason)
            .bind(decided_by)
            .bind(decided_at_ms)
            .bind(now_ms);
        match Self::one(writer, query).await? {
            Some(reviewed) => Ok(reviewed),
            None => {
                let conflict = match review {
                    Review::Submit => Conflict::AnnouncementNotEditable,
                    Review::Approve | Review::Return => Conflict::AnnouncementNotSubmitted,
                };
                Err(Self::refused(writer, id, conflict).await)
            }
        }
    }

    pub(in crate::storage) async fn list(
        reader: &Pool<DB>,
        filter: &AnnouncementFilter,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Announcement>> {
        let status = if filter.public {
            Some(AnnouncementStatus::Approved)
        } else {
            filter.status
        };
        let pattern = filter.text.as_deref().map(contains_pattern);
        let sql = list_sql(filter.public);
        let rows: Vec<AnnouncementRow> = sqlx::query_as(&sql)
            .bind(filter.kind.map(AnnouncementKind::as_str))
            .bind(filter.lot_id)
            .bind(pattern.as_deref())
            .bind(status.map(AnnouncementStatus::as_str))
            .bind(filter.auctioneer)
            .bind(filter.from_ms)
            .bind(filter.to_ms)
            .bind(before)
            .bind(i64::from(limit))
            .fetch_all(reader)
            .await?;
        rows.into_iter().map(Announcement::try_from).collect()
    }

    pub(in crate::storage) async fn has_approved(
        reader: &Pool<DB>,
        lot: LotId,
        kind: AnnouncementKind,
    ) -> StoreResult<bool> {
        let (count,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM announcements WHERE lot_id = $1 AND kind = $2 AND status = 'approved'",
        )
        .bind(lot)
        .bind(kind.as_str())
        .fetch_one(reader)
        .await?;
        Ok(count > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn a_search_takes_wildcards_literally_and_ignores_case() {
        assert_eq!(contains_pattern("Land"), "%land%");
        assert_eq!(contains_pattern("100%_a\\b"), "%100\\%\\_a\\\\b%");
        assert_eq!(contains_pattern("国有土地"), "%国有土地%");
    }
}
