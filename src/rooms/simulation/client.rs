//! A simulated bidder: one connection at a time to the real session loop
//! ([`session::run`]) over an in-memory socket, speaking JSON as a browser does. It bids,
//! sends answered bids again to see the first answer come back, drops its connection (at
//! times right after a bid, so that the answer is lost) and comes back with `since_seq`,
//! and turns slow: it stops reading, so that the session's writes wait and the room's
//! broadcast ring runs past it.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes};
use futures_util::{Sink, Stream};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, sleep_until};

use crate::app::AppState;
use crate::money::Money;
use crate::realtime::protocol::Encoding;
use crate::realtime::session;

use super::book::{BidRecord, Book, Outcome, Seen};
use super::scenario::BidderPlan;
use super::store::REFUSED_REQ;

/// Frames the socket holds for its reader: a member that stops reading stops the session's
/// writes after this many.
const SOCKET_FRAMES: usize = 16;

/// One life of the server, as its members reach it.
pub struct Life {
    pub index: usize,
    pub state: AppState,
    /// The server is stopping: no new connections.
    pub stopping: AtomicBool,
    /// The last life: no new bids and no drops, only the unanswered bids sent again.
    pub settling: bool,
    pub sessions: Mutex<Vec<JoinHandle<()>>>,
}

/// The session's side of an in-memory WebSocket.
struct SimSocket {
    incoming: mpsc::UnboundedReceiver<Message>,
    outgoing: Pin<Box<dyn Sink<Message, Error = axum::Error> + Send>>,
}

impl Stream for SimSocket {
    type Item = Result<Message, axum::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.incoming.poll_recv(cx).map(|message| message.map(Ok))
    }
}

impl Sink<Message> for SimSocket {
    type Error = axum::Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.outgoing.as_mut().poll_ready(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, item: Message) -> Result<(), Self::Error> {
        self.outgoing.as_mut().start_send(item)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.outgoing.as_mut().poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.outgoing.as_mut().poll_close(cx)
    }
}

/// A connection as its client holds it.
struct Connection {
    to_server: mpsc::UnboundedSender<Message>,
    from_server: mpsc::Receiver<Message>,
}

impl Connection {
    fn open(life: &Life) -> Connection {
        let (to_server, incoming) = mpsc::unbounded_channel();
        let (to_client, from_server) = mpsc::channel(SOCKET_FRAMES);
        let outgoing = futures_util::sink::unfold(
            to_client,
            |to_client: mpsc::Sender<Message>, message| async move {
                to_client
                    .send(message)
                    .await
                    .map_err(|_| axum::Error::new("the client went away"))?;
                Ok(to_client)
            },
        );
        let socket = SimSocket {
            incoming,
            outgoing: Box::pin(outgoing),
        };
        let running = tokio::spawn(session::run(socket, life.state.clone(), Encoding::Json));
        life.sessions
            .lock()
            .expect("the session list")
            .push(running);
        Connection {
            to_server,
            from_server,
        }
    }

    fn send(&self, message: Value) {
        // A session that has ended reads nothing more; the client finds out on reading.
        let _ = self
            .to_server
            .send(Message::Text(Utf8Bytes::from(message.to_string())));
    }
}

/// Why a connection ended.
enum Ending {
    /// The client dropped it.
    Dropped,
    /// The server closed it or went away.
    Closed,
}

enum Action {
    Continue,
    Drop,
    Slow(Duration),
}

pub struct Bidder {
    pub plan: BidderPlan,
    pub book: Arc<Mutex<Book>>,
    pub life: Arc<Life>,
    rng: StdRng,
}

impl Bidder {
    pub fn new(plan: BidderPlan, book: Arc<Mutex<Book>>, life: Arc<Life>) -> Bidder {
        let rng = StdRng::seed_from_u64(plan.seed.wrapping_add(life.index as u64 * 7919));
        Bidder {
            plan,
            book,
            life,
            rng,
        }
    }

    pub async fn run(mut self) {
        sleep(Duration::from_millis(self.rng.random_range(0..=500))).await;
        while !self.life.stopping.load(Ordering::SeqCst) {
            let pause = match self.connect().await {
                Ending::Dropped => {
                    self.book().coverage.add("connection dropped by its client");
                    Duration::from_millis(self.rng.random_range(20..=5_000))
                }
                Ending::Closed => Duration::from_millis(self.rng.random_range(200..=1_500)),
            };
            sleep(pause).await;
        }
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().expect("the book")
    }

    fn account(&self) -> crate::domain::AccountId {
        self.plan.account.id
    }

    async fn connect(&mut self) -> Ending {
        let mut connection = Connection::open(&self.life);
        connection.send(json!({"type": "auth", "token": self.plan.token}));
        let account = self.account();
        let (since_seq, join_req, unanswered) = {
            let mut book = self.book();
            let member = book.member(account);
            member.next_req += 1;
            let since_seq = member.last_seq;
            let join_req = format!("join-{}", member.next_req);
            if since_seq.is_some() {
                book.coverage.add("join with since_seq");
            }
            let unanswered = book.unanswered(account);
            if !unanswered.is_empty() {
                book.coverage
                    .add("unanswered bids sent again after reconnecting");
            }
            (since_seq, join_req, unanswered)
        };
        connection.send(json!({
            "type": "join", "lot": self.plan.lot, "since_seq": since_seq, "req": join_req,
        }));
        for (req, amount) in unanswered {
            self.send_bid(&connection, &req, &amount);
        }
        let mut slow = false;
        let mut wake = self.next_action();
        loop {
            tokio::select! {
                biased;
                message = connection.from_server.recv(), if !slow => match message {
                    Some(message) => if !self.hear(message) {
                        return Ending::Closed;
                    },
                    None => return Ending::Closed,
                },
                () = sleep_until(wake) => {
                    if slow {
                        slow = false;
                        wake = self.next_action();
                        continue;
                    }
                    match self.act(&connection) {
                        Action::Continue => wake = self.next_action(),
                        Action::Drop => return Ending::Dropped,
                        Action::Slow(duration) => {
                            self.book().coverage.add("member turned slow");
                            slow = true;
                            wake = Instant::now() + duration;
                        }
                    }
                }
            }
        }
    }

    fn next_action(&mut self) -> Instant {
        let pace = self.plan.pace.as_millis() as u64;
        Instant::now() + Duration::from_millis(self.rng.random_range(pace / 2..=pace * 3 / 2))
    }

    fn send_bid(&self, connection: &Connection, req: &str, amount: &str) {
        connection.send(json!({"type": "bid", "lot": self.plan.lot, "amount": amount, "req": req}));
    }

    fn act(&mut self, connection: &Connection) -> Action {
        let account = self.account();
        let send_again: Vec<(String, String)> = {
            let mut book = self.book();
            let reqs = std::mem::take(&mut book.member(account).send_again);
            reqs.into_iter()
                .filter_map(|req| {
                    let record = book.bids.get(&(account, req.clone()))?;
                    record
                        .answer
                        .is_none()
                        .then(|| (req, record.amount.clone()))
                })
                .collect()
        };
        if !send_again.is_empty() {
            for (req, amount) in send_again {
                self.send_bid(connection, &req, &amount);
            }
            return Action::Continue;
        }
        if self.life.settling {
            return Action::Continue;
        }
        let roll = self.rng.random_range(0..1000);
        let drops = self.plan.drop_per_mille;
        let slows = drops + self.plan.slow_per_mille;
        if roll < drops {
            // Half the drops come right after a bid, whose answer is then lost.
            if roll % 2 == 0 {
                self.bid(connection);
                self.book().coverage.add("bid then dropped at once");
            }
            return Action::Drop;
        }
        if roll < slows {
            let (shortest, longest) = self.plan.slow_for;
            let millis = self
                .rng
                .random_range(shortest.as_millis() as u64..=longest.as_millis() as u64);
            return Action::Slow(Duration::from_millis(millis));
        }
        if self.plan.auctioneer {
            self.control(connection);
            return Action::Continue;
        }
        match self.rng.random_range(0..100) {
            0..75 => self.bid(connection),
            75..85 => self.send_an_answered_bid_again(connection),
            _ => {}
        }
        Action::Continue
    }

    fn bid(&mut self, connection: &Connection) {
        let account = self.account();
        let (price, ended, leading, number) = {
            let mut book = self.book();
            let member = book.member(account);
            member.next_req += 1;
            let leading = member.leader.as_deref() == Some(&*self.plan.bidder_number);
            (member.price, member.ended, leading, member.next_req)
        };
        if (ended && self.rng.random_ratio(3, 4)) || (self.plan.outbids_only && leading) {
            return;
        }
        let req = if self.rng.random_range(0..1000) < self.plan.refused_per_mille {
            format!("{REFUSED_REQ}{account}-{number}")
        } else {
            format!("b{account}-{number}")
        };
        let amount = if self.plan.outbids_only {
            price
                .map_or(self.plan.start_price, |price| price + self.plan.increment)
                .to_string()
        } else {
            self.amount(price)
        };
        self.book().bids.insert(
            (account, req.clone()),
            BidRecord {
                lot: self.plan.lot,
                amount: amount.clone(),
                answer: None,
            },
        );
        self.send_bid(connection, &req, &amount);
    }

    /// The auctioneer's commands; its answers are the events they cause, or errors.
    fn control(&mut self, connection: &Connection) {
        let number = {
            let mut book = self.book();
            let member = book.member(self.plan.account.id);
            member.next_req += 1;
            member.next_req
        };
        let text = if self.rng.random_range(0..1000) < self.plan.refused_per_mille {
            format!("{REFUSED_REQ}notice {number}")
        } else {
            format!("notice {number}")
        };
        let kind = match self.rng.random_range(0..1000) {
            0..300 => "pause",
            300..600 => "resume",
            600..602 => "cancel",
            602..900 => "announce",
            _ => return,
        };
        let req = format!("c{number}");
        self.book().coverage.add(match kind {
            "pause" => "auctioneer paused",
            "resume" => "auctioneer resumed",
            "cancel" => "auctioneer cancelled",
            _ => "auctioneer announced",
        });
        connection.send(if kind == "announce" {
            json!({"type": kind, "lot": self.plan.lot, "text": text, "req": req})
        } else {
            json!({"type": kind, "lot": self.plan.lot, "reason": text, "req": req})
        });
    }

    /// An amount near the price: mostly the next rung, at times one the rules refuse.
    fn amount(&mut self, price: Option<Money>) -> String {
        let start = self.plan.start_price;
        let increment = self.plan.increment;
        let min_next = price.map_or(start, |price| price + increment);
        let amount = match self.rng.random_range(0..100) {
            0..65 => Some(min_next),
            65..80 => min_next.plus_steps(increment, self.rng.random_range(1..=3)),
            80..88 => Some(price.unwrap_or(start)),
            88..93 => min_next.checked_sub(increment + increment),
            93..97 => min_next.checked_add(Money::parse("0.01").expect("a cent")),
            _ => return "a lot".to_owned(),
        };
        amount.unwrap_or(min_next).to_string()
    }

    /// An answered bid sent again: it must be answered as the first time.
    fn send_an_answered_bid_again(&mut self, connection: &Connection) {
        let account = self.account();
        let life = self.life.index;
        let answered = self.book().member(account).answered.len();
        if answered == 0 {
            return;
        }
        let pick = self.rng.random_range(0..answered);
        let mut book = self.book();
        let req = book.member(account).answered[pick].clone();
        let Some(record) = book.bids.get(&(account, req.clone())) else {
            return;
        };
        let again = match &record.answer {
            Some((Outcome::Accepted { .. }, _)) => true,
            // A room remembers its rejections only while it runs.
            Some((Outcome::Rejected(_), answered_in)) => *answered_in == life,
            // One that was not placed may be sent again, to be judged anew.
            Some((Outcome::NotPlaced, _)) => true,
            None => false,
        };
        if again {
            let amount = record.amount.clone();
            book.coverage.add("an answered bid sent again");
            drop(book);
            self.send_bid(connection, &req, &amount);
        }
    }

    /// Takes in one frame from the server; false once the server has closed the connection.
    fn hear(&mut self, message: Message) -> bool {
        let text = match message {
            Message::Text(text) => text,
            Message::Close(_) => return false,
            _ => return true,
        };
        let account = self.account();
        let now_ms = self.life.state.clock.now_ms();
        let value: Value = serde_json::from_str(text.as_str()).expect("the server sends JSON");
        let mut book = self.book();
        book.heard(account, now_ms, text.as_str());
        let field = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
        let money = |name: &str| field(name).map(|text| Money::parse(&text).expect("an amount"));
        let seq = value.get("seq").and_then(Value::as_u64);
        match value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
        {
            "snapshot" => {
                let seq = seq.expect("a snapshot has a seq");
                if field("req").is_none() {
                    book.coverage.add("resync snapshot after lagging");
                }
                let ended = matches!(field("state").as_deref(), Some("closed" | "cancelled"));
                let member = book.member(account);
                let went_back = member.last_seq.filter(|&last| seq < last);
                member.last_seq = Some(seq);
                member.price = money("price");
                member.leader = field("leader");
                member.ended = ended;
                member.seen.push(Seen::Snapshot {
                    seq,
                    price: money("price"),
                    leader: field("leader"),
                });
                if let Some(last) = went_back {
                    book.violation(format!(
                        "account {account} saw seq {last}, then a snapshot at seq {seq}"
                    ));
                }
            }
            // The answer to the auctioneer's own command: the event it caused, which also
            // comes in its turn among the room's events.
            "state" | "announcement" if field("req").is_some() => {
                book.coverage
                    .add("auctioneer's command answered with its event");
            }
            kind @ ("bid" | "state" | "closed" | "announcement") => {
                let seq = seq.expect("a room event has a seq");
                let member = book.member(account);
                let last = member.last_seq;
                member.last_seq = Some(seq);
                if kind == "bid" {
                    member.price = money("amount");
                    member.leader = field("bidder");
                }
                if kind == "closed" || field("state").as_deref() == Some("cancelled") {
                    member.ended = true;
                }
                member.seen.push(Seen::Event {
                    seq,
                    kind: kind.to_owned(),
                    amount: money("amount"),
                    bidder: field("bidder"),
                });
                match last {
                    None => book.violation(format!(
                        "account {account} saw a {kind} event at seq {seq} before any snapshot"
                    )),
                    Some(last) if seq != last + 1 => book.violation(format!(
                        "account {account} saw seq {last}, then a {kind} event at seq {seq}"
                    )),
                    Some(_) => {}
                }
            }
            "accepted" => {
                let req = field("req").expect("an accepted answer has its req");
                book.coverage.add("bid accepted");
                book.answer(
                    account,
                    &req,
                    Outcome::Accepted {
                        seq: seq.expect("an accepted answer has a seq"),
                        amount: money("amount").expect("an accepted answer has an amount"),
                        bidder: field("bidder").unwrap_or_default(),
                    },
                );
            }
            "rejected" => {
                let req = field("req").expect("a rejection has its req");
                let code = field("code").unwrap_or_default();
                if code == "rate_limited" {
                    book.coverage.add("bid rate limited");
                    book.member(account).send_again.insert(req);
                } else {
                    book.coverage.add("bid rejected");
                    book.answer(account, &req, Outcome::Rejected(code));
                }
            }
            "error" => {
                let Some(req) = field("req") else {
                    return true;
                };
                if !book.bids.contains_key(&(account, req.clone())) {
                    return true;
                }
                let code = field("code").unwrap_or_default();
                let message = field("message").unwrap_or_default();
                if code == "internal" && message.contains("not placed") {
                    book.coverage.add("bid refused by the journal, not placed");
                    book.answer(account, &req, Outcome::NotPlaced);
                } else if code == "internal" {
                    book.coverage.add("bid answer unreadable, sent again");
                    book.member(account).send_again.insert(req);
                } else {
                    book.answer(account, &req, Outcome::Rejected(code));
                }
            }
            _ => {}
        }
        true
    }
}
