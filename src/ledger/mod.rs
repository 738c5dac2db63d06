//! The exchange's money: a double-entry ledger of wallets, deposits and settlements.
//!
//! Pure rules only: which entries a money movement makes ([`LedgerTransaction`]), that
//! they balance, that no wallet goes below zero ([`book`]), what may be lodged as a
//! deposit ([`deposit`]) and what a winner owes ([`SettlementTerms`]). Storage applies a
//! transaction atomically together with the rows it belongs to (a deposit, a bank
//! notification, a settlement); the REST routes in `crate::http` call storage.

mod account;
pub mod book;
pub mod deposit;
mod reconcile;
mod settlement;
mod transaction;

pub use account::{LedgerAccount, WalletBucket};
pub use book::{Book, Overdraft};
pub use deposit::{DepositContext, DepositRefusal};
pub use reconcile::{AccountTotals, FrozenMismatch, HoldRecord, HoldTotals, Reconciliation};
pub use settlement::SettlementTerms;
pub use transaction::{Entry, InvalidTransaction, LedgerTransaction, TransactionKind};
