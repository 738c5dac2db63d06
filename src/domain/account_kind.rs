//! Whether an account is a person or a company (SPEC §11, 机构).

use serde::{Deserialize, Serialize};

/// A bidder is a person (`individual`, verified with a personal id such as a resident id)
/// or a company (`organisation`, verified with its name and unified social credit code).
/// Chosen at sign-up; `individual` unless asked, so that clients that know nothing of
/// organisations keep working.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    #[default]
    Individual,
    Organisation,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Individual => "individual",
            AccountKind::Organisation => "organisation",
        }
    }

    pub fn parse(text: &str) -> Option<AccountKind> {
        match text {
            "individual" => Some(AccountKind::Individual),
            "organisation" => Some(AccountKind::Organisation),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_reads_back_from_its_text() {
        for kind in [AccountKind::Individual, AccountKind::Organisation] {
            assert_eq!(AccountKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(AccountKind::parse("company"), None);
        assert_eq!(AccountKind::default(), AccountKind::Individual);
    }
}
