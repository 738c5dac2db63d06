//! Who is in a room: its connections, the monitors among them, and the bidders' names
//! that monitors see.

use std::collections::HashMap;
use std::sync::Arc;

use crate::auction::{Eligibility, Room};
use crate::domain::{AccountId, LotId, Role};
use crate::realtime::protocol::{EventBody, You};

use super::super::command::{ConnectionId, Member};

/// The room's connected members, and the display names of the lot's bidders.
///
/// Monitors (the lot's auctioneer, and any admin) see the monitor view: bidders' names
/// beside their numbers, and about once a second how many members are connected and how
/// many of them may bid (presence). Nobody else hears presence, so the room sends it only
/// while a monitor is connected. A member is one connection: an account with two tabs
/// open counts twice among the members, once among the bidders present. On a cluster, the
/// members connected to other nodes count too, as those nodes last reported them.
pub(super) struct Members {
    auctioneer: AccountId,
    connected: HashMap<ConnectionId, Member>,
    /// How many of `connected` are monitors (kept as they join and leave: the room asks
    /// whether anyone would hear presence at every turn of its loop).
    monitors_here: usize,
    /// By node: each connection's account and role there, and when the report came.
    remote: HashMap<Arc<str>, RemoteReport>,
    /// From the roster. Bidders see one another only by number.
    names: HashMap<AccountId, Arc<str>>,
}

/// Another node's members in the room, as it last reported them.
struct RemoteReport {
    /// Each connection's account and role.
    members: Vec<(AccountId, Role)>,
    /// Whether any of them monitors the lot.
    monitors: bool,
    reported_at_ms: i64,
}

impl Members {
    pub fn new(auctioneer: AccountId) -> Members {
        Members {
            auctioneer,
            connected: HashMap::new(),
            monitors_here: 0,
            remote: HashMap::new(),
            names: HashMap::new(),
        }
    }

    /// Whether this account monitors the lot: its auctioneer, an admin, or a supervisor.
    pub fn is_monitor(&self, account: AccountId, role: Role) -> bool {
        role.oversees_everything() || self.may_control(account, role)
    }

    /// Whether this account may pause, resume, cancel and announce: the lot's auctioneer
    /// or an admin; a supervisor only watches.
    pub fn may_control(&self, account: AccountId, role: Role) -> bool {
        role == Role::Admin || (role == Role::Auctioneer && account == self.auctioneer)
    }

    pub fn join(&mut self, member: Member) {
        if self.is_monitor(member.account, member.role) {
            self.monitors_here += 1;
        }
        if let Some(before) = self.connected.insert(member.connection, member) {
            self.left(&before);
        }
    }

    pub fn leave(&mut self, connection: ConnectionId) {
        if let Some(gone) = self.connected.remove(&connection) {
            self.left(&gone);
        }
    }

    fn left(&mut self, member: &Member) {
        if self.is_monitor(member.account, member.role) {
            self.monitors_here -= 1;
        }
    }

    /// Another node's members, reported at `now_ms` (an empty report: it has none left).
    pub fn set_remote(&mut self, node: Arc<str>, members: Vec<(AccountId, Role)>, now_ms: i64) {
        if members.is_empty() {
            self.remote.remove(&node);
            return;
        }
        let monitors = members
            .iter()
            .any(|(account, role)| self.is_monitor(*account, *role));
        let report = RemoteReport {
            members,
            monitors,
            reported_at_ms: now_ms,
        };
        self.remote.insert(node, report);
    }

    /// Forgets the reports of nodes that have not reported since `before_ms` (gone, or
    /// cut off): their members are no longer counted.
    pub fn forget_remote_before(&mut self, before_ms: i64) {
        self.remote
            .retain(|_, report| report.reported_at_ms >= before_ms);
    }

    /// Every member's (account, role): this node's connections, then the other nodes'.
    fn everyone(&self) -> impl Iterator<Item = (AccountId, Role)> + '_ {
        let here = self
            .connected
            .values()
            .map(|member| (member.account, member.role));
        let elsewhere = self
            .remote
            .values()
            .flat_map(|report| report.members.iter().copied());
        here.chain(elsewhere)
    }

    fn member_count(&self) -> usize {
        self.connected.len()
            + self
                .remote
                .values()
                .map(|report| report.members.len())
                .sum::<usize>()
    }

    /// A bidder's display name, from the roster (new, or changed since).
    pub fn set_name(&mut self, account: AccountId, display_name: &str) {
        self.names.insert(account, Arc::from(display_name));
    }

    pub fn names(&self) -> &HashMap<AccountId, Arc<str>> {
        &self.names
    }

    /// Whether anyone connected, here or on another node, would hear presence.
    pub fn has_monitors(&self) -> bool {
        self.monitors_here > 0 || self.remote.values().any(|report| report.monitors)
    }

    /// `you` in a monitor's snapshot: its role, and who is in the room.
    pub fn monitor_standing(
        &self,
        account: AccountId,
        role: Role,
        engine: &Room,
        now_ms: i64,
    ) -> You {
        You::Monitor {
            monitor: true,
            role: if role == Role::Supervisor {
                Role::Supervisor
            } else if account == self.auctioneer {
                Role::Auctioneer
            } else {
                Role::Admin
            },
            members: self.member_count(),
            bidders: self.bidders_present(engine, now_ms),
        }
    }

    /// The presence event monitors hear.
    pub fn presence(&self, lot: LotId, engine: &Room, now_ms: i64) -> EventBody {
        EventBody::Presence {
            lot,
            members: self.member_count(),
            bidders: self.bidders_present(engine, now_ms),
        }
    }

    /// The accounts connected that may bid now (a suspended one may not), each counted once.
    fn bidders_present(&self, engine: &Room, now_ms: i64) -> usize {
        let mut accounts: Vec<AccountId> = self
            .everyone()
            .map(|(account, _)| account)
            .filter(|account| {
                engine
                    .bidder(*account)
                    .is_some_and(|bidder| bidder.eligibility_at(now_ms) == Eligibility::Eligible)
            })
            .collect();
        accounts.sort_unstable();
        accounts.dedup();
        accounts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{ADMIN, ALICE, AUCTIONEER, BOB, CAROL, LOT, member, open_engine};
    use super::*;

    /// (members, bidders) of the presence event.
    fn presence(members: &Members, engine: &Room) -> (usize, usize) {
        match members.presence(LOT, engine, 0) {
            EventBody::Presence {
                members, bidders, ..
            } => (members, bidders),
            _ => unreachable!("a presence event"),
        }
    }

    #[test]
    fn presence_counts_connections_and_the_bidders_who_may_bid_once_each() {
        let engine = open_engine();
        let mut members = Members::new(AUCTIONEER);
        members.join(member(1, AUCTIONEER, Role::Auctioneer));
        members.join(member(2, ALICE, Role::Bidder));
        members.join(member(3, ALICE, Role::Bidder));
        members.join(member(4, BOB, Role::Bidder));
        // CAROL is not eligible; account 50 is not registered for the lot.
        members.join(member(5, CAROL, Role::Bidder));
        members.join(member(6, 50, Role::Bidder));
        assert_eq!(presence(&members, &engine), (6, 2));
        members.leave(4);
        assert_eq!(presence(&members, &engine), (5, 1));
        members.leave(2);
        assert_eq!(
            presence(&members, &engine),
            (4, 1),
            "ALICE is still in another tab"
        );
    }

    #[test]
    fn presence_counts_other_nodes_members_until_they_stop_reporting() {
        let engine = open_engine();
        let mut members = Members::new(AUCTIONEER);
        members.join(member(1, ALICE, Role::Bidder));
        assert!(!members.has_monitors());
        // Node b has the auctioneer and ALICE in another tab; node c has BOB.
        let b: Arc<str> = Arc::from("b");
        let c: Arc<str> = Arc::from("c");
        let on_b = vec![(AUCTIONEER, Role::Auctioneer), (ALICE, Role::Bidder)];
        members.set_remote(b.clone(), on_b, 1_000);
        members.set_remote(c.clone(), vec![(BOB, Role::Bidder)], 1_500);
        assert!(members.has_monitors(), "the auctioneer, on node b");
        assert_eq!(presence(&members, &engine), (4, 2), "ALICE counted once");
        // b's next report replaces its last; c stops reporting and is forgotten.
        members.set_remote(b.clone(), vec![(ALICE, Role::Bidder)], 2_000);
        members.forget_remote_before(1_800);
        assert_eq!(presence(&members, &engine), (2, 1));
        assert!(!members.has_monitors());
        // An empty report: b has no one left.
        members.set_remote(b, Vec::new(), 2_500);
        assert_eq!(presence(&members, &engine), (1, 1));
    }

    #[test]
    fn monitors_are_the_lots_auctioneer_and_admins() {
        let members = Members::new(AUCTIONEER);
        assert!(members.is_monitor(AUCTIONEER, Role::Auctioneer));
        assert!(members.is_monitor(ADMIN, Role::Admin));
        assert!(
            !members.is_monitor(11, Role::Auctioneer),
            "another lot's auctioneer"
        );
        assert!(!members.is_monitor(AUCTIONEER, Role::Bidder));
        assert!(!members.is_monitor(ALICE, Role::Bidder));
    }

    #[test]
    fn presence_is_due_only_while_a_monitor_is_connected() {
        let mut members = Members::new(AUCTIONEER);
        members.join(member(1, ALICE, Role::Bidder));
        members.join(member(2, 11, Role::Auctioneer));
        assert!(!members.has_monitors());
        members.join(member(3, AUCTIONEER, Role::Auctioneer));
        members.join(member(4, ADMIN, Role::Admin));
        assert!(members.has_monitors());
        members.leave(3);
        assert!(members.has_monitors(), "the admin is still there");
        members.leave(4);
        assert!(!members.has_monitors());
    }

    #[test]
    fn a_monitor_sees_its_role_and_who_is_in_the_room() {
        let engine = open_engine();
        let mut members = Members::new(AUCTIONEER);
        members.join(member(1, AUCTIONEER, Role::Auctioneer));
        members.join(member(2, ADMIN, Role::Admin));
        members.join(member(3, BOB, Role::Bidder));
        for (account, expected_role) in [(AUCTIONEER, Role::Auctioneer), (ADMIN, Role::Admin)] {
            match members.monitor_standing(account, expected_role, &engine, 0) {
                You::Monitor {
                    monitor,
                    role,
                    members,
                    bidders,
                } => {
                    assert!(monitor);
                    assert_eq!(role, expected_role);
                    assert_eq!((members, bidders), (3, 1));
                }
                You::Bidder { .. } => panic!("a monitor's standing"),
            }
        }
    }

    #[test]
    fn a_name_from_the_roster_replaces_the_one_before() {
        let mut members = Members::new(AUCTIONEER);
        members.set_name(ALICE, "Alice");
        members.set_name(ALICE, "Alice Liddell");
        assert_eq!(
            members.names().get(&ALICE).map(|name| &**name),
            Some("Alice Liddell")
        );
    }
}
