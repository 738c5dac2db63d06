//! What an account may do.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Bidder,
    Auctioneer,
    Admin,
    /// Read-only staff (监督): sees what an admin sees, changes nothing.
    Supervisor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Bidder => "bidder",
            Role::Auctioneer => "auctioneer",
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
        }
    }

    /// Admins and supervisors: they see every lot, room, application and settlement
    /// (supervisors only see; the guard in `crate::http` refuses their writes).
    pub fn oversees_everything(self) -> bool {
        matches!(self, Role::Admin | Role::Supervisor)
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "bidder" => Some(Role::Bidder),
            "auctioneer" => Some(Role::Auctioneer),
            "admin" => Some(Role::Admin),
            "supervisor" => Some(Role::Supervisor),
            _ => None,
        }
    }
}
