//! Deposits (保证金): what a lot asks for, and what was lodged.

use crate::money::Money;

/// 保证金: a fixed amount, or for asset packages a range the bidder chooses in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepositTerms {
    Fixed(Money),
    Range { min: Money, max: Money },
}

/// How a deposit was lodged: cash frozen in the wallet, or an electronic guarantee
/// (电子保函).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepositKind {
    Cash,
    Guarantee,
}

impl DepositKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DepositKind::Cash => "cash",
            DepositKind::Guarantee => "guarantee",
        }
    }

    pub fn parse(text: &str) -> Option<DepositKind> {
        match text {
            "cash" => Some(DepositKind::Cash),
            "guarantee" => Some(DepositKind::Guarantee),
            _ => None,
        }
    }
}

/// Where a lodged deposit is in its life: held until the lot ends, then released to the
/// bidder, applied to what the winner owes, or forfeited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepositStatus {
    Held,
    Released,
    Applied,
    Forfeited,
}

impl DepositStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DepositStatus::Held => "held",
            DepositStatus::Released => "released",
            DepositStatus::Applied => "applied",
            DepositStatus::Forfeited => "forfeited",
        }
    }

    pub fn parse(text: &str) -> Option<DepositStatus> {
        match text {
            "held" => Some(DepositStatus::Held),
            "released" => Some(DepositStatus::Released),
            "applied" => Some(DepositStatus::Applied),
            "forfeited" => Some(DepositStatus::Forfeited),
            _ => None,
        }
    }
}
