//! What an account may do.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Bidder,
    Auctioneer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Bidder => "bidder",
            Role::Auctioneer => "auctioneer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "bidder" => Some(Role::Bidder),
            "auctioneer" => Some(Role::Auctioneer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}
