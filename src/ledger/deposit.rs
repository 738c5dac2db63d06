//! The rules of lodging a deposit (交纳保证金), checked in a fixed order.

use crate::auction::LotState;
use crate::domain::DepositTerms;
use crate::money::Money;

/// What the rules look at, read inside the transaction that lodges the deposit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositContext {
    pub application_rejected: bool,
    /// A deposit (cash or an accepted guarantee) is already lodged for the application.
    pub deposit_lodged: bool,
    pub lot_state: LotState,
    pub deposit_deadline_ms: i64,
    pub terms: DepositTerms,
    pub lot_currency: String,
    pub wallet_currency: String,
}

/// Why a deposit is refused, named after the rule it breaks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DepositRefusal {
    #[error("the application was rejected")]
    ApplicationRejected,
    #[error("the lot is {}: it takes no deposits", .0.as_str())]
    LotEnded(LotState),
    #[error("a deposit is already lodged for this application")]
    AlreadyLodged,
    #[error("the deposit deadline has passed")]
    DeadlinePassed,
    #[error("this lot's deposit is a range: give an amount from {min} to {max}")]
    AmountRequired { min: Money, max: Money },
    #[error("this lot's deposit is {deposit}")]
    AmountIsNotTheDeposit { deposit: Money },
    #[error("the deposit must be from {min} to {max}")]
    AmountOutsideRange { min: Money, max: Money },
    #[error("the lot is in {lot}, the wallet in {wallet}")]
    CurrencyMismatch { lot: String, wallet: String },
    #[error("a guarantee must cover the deposit: at least {minimum}")]
    GuaranteeBelowDeposit { minimum: Money },
    #[error("a guarantee for this application is already waiting for a decision")]
    GuaranteePending,
}

impl DepositRefusal {
    /// The stable wire code.
    pub fn code(&self) -> &'static str {
        match self {
            DepositRefusal::ApplicationRejected => "application_rejected",
            DepositRefusal::LotEnded(_) => "lot_ended",
            DepositRefusal::AlreadyLodged => "deposit_already_lodged",
            DepositRefusal::DeadlinePassed => "deposit_deadline_passed",
            DepositRefusal::AmountRequired { .. }
            | DepositRefusal::AmountIsNotTheDeposit { .. }
            | DepositRefusal::AmountOutsideRange { .. } => "invalid_amount",
            DepositRefusal::CurrencyMismatch { .. } => "currency_mismatch",
            DepositRefusal::GuaranteeBelowDeposit { .. } => "invalid_amount",
            DepositRefusal::GuaranteePending => "guarantee_pending",
        }
    }

    /// A mistake in the request itself (400), rather than a conflict with the lot's or
    /// the application's state (409).
    pub fn is_invalid_input(&self) -> bool {
        matches!(
            self,
            DepositRefusal::AmountRequired { .. }
                | DepositRefusal::AmountIsNotTheDeposit { .. }
                | DepositRefusal::AmountOutsideRange { .. }
                | DepositRefusal::GuaranteeBelowDeposit { .. }
        )
    }
}

/// The amount to freeze for `requested` at `now_ms`, or the first rule it breaks.
///
/// Pending applications may lodge as well as approved ones: exchanges take the deposit
/// while the application is being reviewed, and approval does not wait on it. A
/// `published`, `open` or `paused` lot takes deposits until `deposit_deadline` (the
/// instant itself is too late); a closed or cancelled one never does.
pub fn amount_to_lodge(
    context: &DepositContext,
    requested: Option<Money>,
    now_ms: i64,
) -> Result<Money, DepositRefusal> {
    check_application_and_lot(context)?;
    if now_ms >= context.deposit_deadline_ms {
        return Err(DepositRefusal::DeadlinePassed);
    }
    if context.lot_currency != context.wallet_currency {
        return Err(DepositRefusal::CurrencyMismatch {
            lot: context.lot_currency.clone(),
            wallet: context.wallet_currency.clone(),
        });
    }
    amount_within_terms(context.terms, requested)
}

/// Whether a guarantee (电子保函) of `amount` may be submitted at `now_ms`: on the same
/// terms as a cash deposit (in time, for a live lot and an application that is not
/// rejected and has none lodged), one waiting for a decision at a time, and covering the
/// deposit (the fixed amount, or a range's minimum): a guarantee that could never make
/// the deposit lodged is refused at once rather than left for an admin to accept.
pub fn guarantee_may_be_submitted(
    context: &DepositContext,
    amount: Money,
    pending_guarantee: bool,
    now_ms: i64,
) -> Result<(), DepositRefusal> {
    check_application_and_lot(context)?;
    if now_ms >= context.deposit_deadline_ms {
        return Err(DepositRefusal::DeadlinePassed);
    }
    if pending_guarantee {
        return Err(DepositRefusal::GuaranteePending);
    }
    let minimum = minimum_deposit(context.terms);
    if amount < minimum {
        return Err(DepositRefusal::GuaranteeBelowDeposit { minimum });
    }
    Ok(())
}

/// Whether an admin may accept a guarantee now. The deadline does not apply: the bidder
/// submitted in time, and the exchange's review may take until the bidding starts (or
/// later: the bidder simply cannot bid until it is accepted). A lot that has ended, an
/// application rejected meanwhile, or a deposit lodged in cash meanwhile refuses it.
pub fn guarantee_may_be_accepted(context: &DepositContext) -> Result<(), DepositRefusal> {
    check_application_and_lot(context)
}

fn check_application_and_lot(context: &DepositContext) -> Result<(), DepositRefusal> {
    if context.application_rejected {
        return Err(DepositRefusal::ApplicationRejected);
    }
    if context.lot_state.is_final() {
        return Err(DepositRefusal::LotEnded(context.lot_state));
    }
    if context.deposit_lodged {
        return Err(DepositRefusal::AlreadyLodged);
    }
    Ok(())
}

/// The fixed deposit (a given amount must equal it), or the bidder's choice inside a range.
pub fn amount_within_terms(
    terms: DepositTerms,
    requested: Option<Money>,
) -> Result<Money, DepositRefusal> {
    match (terms, requested) {
        (DepositTerms::Fixed(deposit), None) => Ok(deposit),
        (DepositTerms::Fixed(deposit), Some(amount)) if amount == deposit => Ok(deposit),
        (DepositTerms::Fixed(deposit), Some(_)) => {
            Err(DepositRefusal::AmountIsNotTheDeposit { deposit })
        }
        (DepositTerms::Range { min, max }, None) => {
            Err(DepositRefusal::AmountRequired { min, max })
        }
        (DepositTerms::Range { min, max }, Some(amount)) if min <= amount && amount <= max => {
            Ok(amount)
        }
        (DepositTerms::Range { min, max }, Some(_)) => {
            Err(DepositRefusal::AmountOutsideRange { min, max })
        }
    }
}

/// The least a deposit or guarantee may be to make the application's deposit lodged.
pub fn minimum_deposit(terms: DepositTerms) -> Money {
    match terms {
        DepositTerms::Fixed(deposit) => deposit,
        DepositTerms::Range { min, .. } => min,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    fn context(terms: DepositTerms) -> DepositContext {
        DepositContext {
            application_rejected: false,
            deposit_lodged: false,
            lot_state: LotState::Published,
            deposit_deadline_ms: 1_000,
            terms,
            lot_currency: "CNY".to_owned(),
            wallet_currency: "CNY".to_owned(),
        }
    }

    #[test]
    fn a_fixed_deposit_is_its_amount_whether_given_or_not() {
        let fixed = context(DepositTerms::Fixed(money("5000")));
        assert_eq!(amount_to_lodge(&fixed, None, 0), Ok(money("5000")));
        assert_eq!(
            amount_to_lodge(&fixed, Some(money("5000.00")), 0),
            Ok(money("5000"))
        );
        assert_eq!(
            amount_to_lodge(&fixed, Some(money("4000")), 0),
            Err(DepositRefusal::AmountIsNotTheDeposit {
                deposit: money("5000")
            })
        );
    }

    #[test]
    fn a_range_deposit_needs_an_amount_inside_the_range() {
        let range = context(DepositTerms::Range {
            min: money("100"),
            max: money("200"),
        });
        assert!(matches!(
            amount_to_lodge(&range, None, 0),
            Err(DepositRefusal::AmountRequired { .. })
        ));
        assert_eq!(
            amount_to_lodge(&range, Some(money("100")), 0),
            Ok(money("100"))
        );
        assert_eq!(
            amount_to_lodge(&range, Some(money("200")), 0),
            Ok(money("200"))
        );
        assert!(matches!(
            amount_to_lodge(&range, Some(money("200.01")), 0),
            Err(DepositRefusal::AmountOutsideRange { .. })
        ));
    }

    #[test]
    fn the_deadline_itself_is_too_late() {
        let fixed = context(DepositTerms::Fixed(money("1")));
        assert_eq!(amount_to_lodge(&fixed, None, 999), Ok(money("1")));
        assert_eq!(
            amount_to_lodge(&fixed, None, 1_000),
            Err(DepositRefusal::DeadlinePassed)
        );
    }

    #[test]
    fn a_second_deposit_is_refused_before_its_amount_is_looked_at() {
        let mut lodged = context(DepositTerms::Fixed(money("1")));
        lodged.deposit_lodged = true;
        assert_eq!(
            amount_to_lodge(&lodged, Some(money("7")), 0),
            Err(DepositRefusal::AlreadyLodged)
        );
    }

    #[test]
    fn a_guarantee_must_cover_the_least_deposit() {
        let range = context(DepositTerms::Range {
            min: money("100"),
            max: money("200"),
        });
        assert_eq!(
            guarantee_may_be_submitted(&range, money("99.99"), false, 0),
            Err(DepositRefusal::GuaranteeBelowDeposit {
                minimum: money("100")
            })
        );
        assert_eq!(
            guarantee_may_be_submitted(&range, money("100"), false, 0),
            Ok(())
        );
        assert_eq!(
            guarantee_may_be_submitted(&range, money("100"), true, 0),
            Err(DepositRefusal::GuaranteePending)
        );
    }

    #[test]
    fn a_guarantee_submitted_in_time_may_be_accepted_after_the_deadline() {
        let fixed = context(DepositTerms::Fixed(money("1")));
        assert_eq!(
            guarantee_may_be_submitted(&fixed, money("1"), false, 1_000),
            Err(DepositRefusal::DeadlinePassed)
        );
        assert_eq!(guarantee_may_be_accepted(&fixed), Ok(()));
        let mut lodged = fixed;
        lodged.deposit_lodged = true;
        assert_eq!(
            guarantee_may_be_accepted(&lodged),
            Err(DepositRefusal::AlreadyLodged)
        );
    }

    #[test]
    fn ended_lots_and_rejected_applications_take_no_deposit() {
        let mut ended = context(DepositTerms::Fixed(money("1")));
        ended.lot_state = LotState::Cancelled;
        assert_eq!(
            amount_to_lodge(&ended, None, 0),
            Err(DepositRefusal::LotEnded(LotState::Cancelled))
        );
        let mut rejected = context(DepositTerms::Fixed(money("1")));
        rejected.application_rejected = true;
        assert_eq!(
            amount_to_lodge(&rejected, None, 0),
            Err(DepositRefusal::ApplicationRejected)
        );
    }
}
