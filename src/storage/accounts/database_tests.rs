//! Passwords and suspensions on both databases.

use std::sync::Arc;

use crate::domain::Role;
use crate::storage::testing::TestStore;
use crate::storage::{Conflict, Store, StoreError};

use super::{NewAccount, SuspensionChange};

const NOW_MS: i64 = 1_800_000_000_000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

async fn account(store: &dyn Store, username: &str, must_change_password: bool) -> i64 {
    let new = NewAccount {
        username: username.to_owned(),
        password_hash: "first-hash".to_owned(),
        display_name: username.to_owned(),
        role: Role::Supervisor,
        kind: crate::domain::AccountKind::Individual,
        must_change_password,
    };
    store
        .create_account(&new, NOW_MS)
        .await
        .expect("an account")
        .id
}

async fn check_a_password_change_clears_the_requirement_and_other_sessions(store: Arc<dyn Store>) {
    let id = account(&*store, "clerk", true).await;
    let details = store.account_details(id).await.unwrap().unwrap();
    assert!(details.account.must_change_password);
    assert_eq!(details.account.role, Role::Supervisor);
    for token in ["kept", "other-1", "other-2"] {
        store
            .create_session(token, id, NOW_MS, NOW_MS + DAY_MS)
            .await
            .unwrap();
    }
    let mut signed_out = store
        .change_password(id, "second-hash", "kept")
        .await
        .unwrap();
    signed_out.sort();
    assert_eq!(signed_out, ["other-1", "other-2"]);
    assert_eq!(
        store.password_hash(id).await.unwrap().as_deref(),
        Some("second-hash")
    );
    let kept = store
        .session_account("kept", NOW_MS)
        .await
        .unwrap()
        .unwrap();
    assert!(!kept.account.must_change_password);
    assert!(
        store
            .session_account("other-1", NOW_MS)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store.change_password(999_999, "x", "kept").await,
        Err(StoreError::NotFound)
    ));
}

async fn check_a_suspension_ends_by_itself_or_when_lifted(store: Arc<dyn Store>) {
    let id = account(&*store, "sam", false).await;
    let admin = account(&*store, "boss", false).await;
    let lift = store
        .change_suspension(
            id,
            &SuspensionChange::Lift,
            "nothing to lift",
            admin,
            NOW_MS,
        )
        .await;
    assert!(matches!(
        lift,
        Err(StoreError::Conflict(Conflict::NotSuspended))
    ));

    let until_ms = NOW_MS + 2 * DAY_MS;
    let change = SuspensionChange::Suspend { days: 2, until_ms };
    let record = store
        .change_suspension(id, &change, "late payment", admin, NOW_MS)
        .await
        .unwrap();
    assert_eq!(record.change, change);
    assert_eq!(record.by_account_id, admin);
    let account = store.account_details(id).await.unwrap().unwrap().account;
    assert!(account.is_suspended(until_ms - 1));
    assert!(!account.is_suspended(until_ms), "it ends by itself");
    let suspended = store.suspended_accounts(NOW_MS).await.unwrap();
    assert_eq!(suspended.len(), 1);
    assert_eq!(suspended[0].reason, "late payment");
    assert!(store.suspended_accounts(until_ms).await.unwrap().is_empty());
    let late_lift = store
        .change_suspension(id, &SuspensionChange::Lift, "too late", admin, until_ms)
        .await;
    assert!(matches!(
        late_lift,
        Err(StoreError::Conflict(Conflict::NotSuspended))
    ));

    store
        .change_suspension(id, &SuspensionChange::Lift, "paid", admin, NOW_MS + 1)
        .await
        .unwrap();
    assert!(
        store
            .suspended_accounts(NOW_MS + 2)
            .await
            .unwrap()
            .is_empty()
    );
    let history = store.suspension_history(id).await.unwrap();
    let changes: Vec<_> = history.iter().map(|record| record.change.clone()).collect();
    assert_eq!(changes, [change, SuspensionChange::Lift]);
    assert_eq!(history[1].reason, "paid");
    assert!(matches!(
        store
            .change_suspension(999_999, &SuspensionChange::Lift, "x", admin, NOW_MS)
            .await,
        Err(StoreError::NotFound)
    ));
}

macro_rules! on_both_databases {
    ($($check:ident => $sqlite:ident, $postgres:ident;)*) => {$(
        #[tokio::test]
        async fn $sqlite() {
            let test_store = TestStore::sqlite().await;
            $check(test_store.store.clone()).await;
            test_store.finish().await;
        }

        #[tokio::test]
        async fn $postgres() {
            let test_store = TestStore::postgres().await;
            $check(test_store.store.clone()).await;
            test_store.finish().await;
        }
    )*};
}

on_both_databases! {
    check_a_password_change_clears_the_requirement_and_other_sessions => a_password_change_clears_the_requirement_and_other_sessions_on_sqlite, a_password_change_clears_the_requirement_and_other_sessions_on_postgres;
    check_a_suspension_ends_by_itself_or_when_lifted => a_suspension_ends_by_itself_or_when_lifted_on_sqlite, a_suspension_ends_by_itself_or_when_lifted_on_postgres;
}
