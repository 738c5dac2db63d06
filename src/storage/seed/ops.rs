//! The seeding operation, written once for both databases: it strings together the same
//! steps the ordinary requests take (account and wallet, identity, session, ledger
//! transactions, application, approval, deposit rules), each inside one database
//! transaction.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;

use sqlx::{ColumnIndex, Executor, FromRow, IntoArguments, Pool};

use crate::domain::LotId;
use crate::ledger::LedgerTransaction;
use crate::storage::accounts::ops::Accounts;
use crate::storage::accounts::{AccountRow, CredentialsRow};
use crate::storage::dialect::{Column, Dialect};
use crate::storage::lots::ops::Lots;
use crate::storage::lots::sql::{ApplicationListingRow, ApplicationRow, LotRow, RosterRow};
use crate::storage::lots::{Application, DepositStatus, new_bidder_number};
use crate::storage::money::ops::deposits::Deposits;
use crate::storage::{Conflict, StoreResult};

use super::{SeedBatch, SeededBidder, TOP_UP_REFERENCE_PREFIX};

/// Seeding on database `DB`.
pub(in crate::storage) struct Seed<DB>(PhantomData<DB>);

impl<DB> Seed<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: Column<DB>,
    Option<i64>: Column<DB>,
    String: Column<DB>,
    Option<String>: Column<DB>,
    Option<DB::Money>: Column<DB>,
    bool: Column<DB>,
    usize: ColumnIndex<DB::Row>,
    (String,): for<'r> FromRow<'r, DB::Row>,
    for<'r> AccountRow: FromRow<'r, DB::Row>,
    for<'r> CredentialsRow: FromRow<'r, DB::Row>,
    for<'r> LotRow<DB::Money>: FromRow<'r, DB::Row>,
    for<'r> RosterRow: FromRow<'r, DB::Row>,
    for<'r> ApplicationRow: FromRow<'r, DB::Row>,
    for<'r> ApplicationListingRow: FromRow<'r, DB::Row>,
{
    pub(in crate::storage) async fn seed_bidders(
        writer: &Pool<DB>,
        batch: &SeedBatch,
        now_ms: i64,
    ) -> StoreResult<Vec<SeededBidder>> {
        let mut transaction = writer.begin().await?;
        let mut seeded = Vec::with_capacity(batch.bidders.len());
        for bidder in &batch.bidders {
            let account =
                Accounts::<DB>::insert_account(&mut transaction, &bidder.account, now_ms).await?;
            let verified = Accounts::<DB>::record_identity(
                &mut transaction,
                account.id,
                &bidder.identity,
                now_ms,
            )
            .await?;
            Accounts::<DB>::insert_session(
                &mut transaction,
                &bidder.token_hash,
                account.id,
                now_ms,
                batch.session_expires_at_ms,
            )
            .await?;
            if let Some(amount) = batch.top_up {
                let reference = format!("{TOP_UP_REFERENCE_PREFIX}{}", account.id);
                let top_up = LedgerTransaction::top_up(account.id, amount, &reference);
                DB::apply_ledger(&mut transaction, &top_up, now_ms).await?;
            }
            seeded.push(SeededBidder {
                account: verified.account,
                applications: Vec::new(),
            });
        }

        // Bidder numbers taken in each lot: read once per lot, then kept here, so that the
        // numbers this transaction draws never collide with one another.
        let mut taken: HashMap<LotId, HashSet<String>> = HashMap::new();
        for registration in &batch.registrations {
            let bidder = seeded
                .get_mut(registration.bidder)
                .ok_or_else(|| anyhow::anyhow!("registration of bidder {}", registration.bidder))?;
            let application = Lots::<DB>::insert_application(
                &mut transaction,
                registration.lot,
                bidder.account.id,
                now_ms,
            )
            .await?;
            let taken = match taken.entry(registration.lot) {
                Entry::Occupied(entry) => entry.into_mut(),
                Entry::Vacant(entry) => entry.insert(
                    Lots::<DB>::taken_bidder_numbers(&mut transaction, application.id).await?,
                ),
            };
            let number = new_bidder_number(taken);
            taken.insert(number.clone());
            let mut approved =
                Lots::<DB>::approve_as(&mut transaction, application.id, &number, None, now_ms)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("a new application is not pending"))?;
            Self::lodge_deposit(&mut transaction, &approved, now_ms).await?;
            approved.deposit_status = DepositStatus::Lodged;
            bidder.applications.push(approved);
        }
        transaction.commit().await?;
        Ok(seeded)
    }

    /// Freezes the lot's fixed deposit as `POST /applications/{id}/deposit` does (the same
    /// rules, the same ledger transaction, the same rows), without an idempotency key.
    async fn lodge_deposit(
        connection: &mut DB::Connection,
        application: &Application,
        now_ms: i64,
    ) -> StoreResult<()> {
        Deposits::<DB>::freeze(connection, application.id, None, now_ms)
            .await?
            .map(|_| ())
            .map_err(|refusal| {
                Conflict::DepositRefused {
                    lot: application.lot_id,
                    refusal,
                }
                .into()
            })
    }
}
