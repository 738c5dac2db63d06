//! The exchange's vocabulary, shared by every layer: ids, roles, account kinds, deposit
//! terms, and how payer names compare.
//!
//! The innermost module: it depends on nothing of bidroom's but [`crate::money`], so that
//! `auction`, `ledger`, `storage`, `rooms`, `realtime` and `http` use one definition of
//! each and none of them imports another for a type. The text forms (`as_str`, `parse`)
//! are what the databases store and the wire carries.

mod account_kind;
mod deposit;
mod payer_name;
mod role;

pub use account_kind::AccountKind;
pub use deposit::{DepositKind, DepositStatus, DepositTerms};
pub use payer_name::{comparable_name, is_same_payer};
pub use role::Role;

/// An account's id, as the databases number accounts.
pub type AccountId = i64;
/// A lot's id, as the databases number lots.
pub type LotId = i64;
/// An application's (报名) id, as the databases number applications.
pub type ApplicationId = i64;
