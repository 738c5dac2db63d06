//! `GET /stats/weekly`: this week and last week side by side, for admins and auctioneers.
//!
//! Every record is made now, through the API and the store as the rooms make them; a lot's
//! records are then moved a week back in the database, which is what a week passing does
//! to them.

use std::str::FromStr;

use bidroom::auction::{ClosedEvent, LotResult, LotState};
use bidroom::money::Money;
use bidroom::storage::{JournalRow, RoomEventKind};
use serde_json::{Value, json};

use crate::common::{Db, RegisteredBidder, TestApp, User, in_secs};
use crate::on_both_databases;

const WEEK_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// A published lot of `auctioneer` opening in an hour, with `bidders` (named
/// `{prefix}-{i}`), each with 10,000.00 and its 200.00 deposit lodged.
async fn lot_with_bidders(
    app: &TestApp,
    auctioneer: &User,
    prefix: &str,
    bidders: usize,
) -> (i64, Vec<RegisteredBidder>) {
    let lot = app
        .published_lot(&auctioneer.token, json!({ "starts_at": in_secs(3600) }))
        .await;
    let mut registered = Vec::new();
    for index in 0..bidders {
        let user = app
            .signup_verified_bidder(&format!("{prefix}-{index}"))
            .await;
        app.top_up(&user, "10000.00").await;
        registered.push(app.eligible_bidder(auctioneer, lot, user, None).await);
    }
    (lot, registered)
}

/// The lot's room opens now, as its room journals it.
async fn open_room(app: &TestApp, lot: i64) {
    let state = &app.server.as_ref().unwrap().state;
    let now_ms = state.clock.now_ms();
    let opened = JournalRow {
        lot_id: lot,
        seq: 1,
        kind: RoomEventKind::State,
        at_ms: now_ms,
        account_id: None,
        bidder_number: None,
        amount: None,
        req: None,
        state: LotState::Open,
        text: None,
        deadline_ms: now_ms + 60_000,
        remaining_ms: None,
        extensions: 0,
    };
    state.store.append_room_events(&[opened]).await.unwrap();
}

/// The lot closes now, sold to `winner` at `price`, and its money moves as after a close.
async fn sell(app: &TestApp, lot: i64, winner: &User, price: &str) {
    let state = &app.server.as_ref().unwrap().state;
    let closed = ClosedEvent {
        result: LotResult::Sold,
        price: Some(Money::parse(price).unwrap()),
        leader: Some(winner.id),
        leader_bidder_number: None,
    };
    state
        .store
        .settle_closed_lot(lot, &closed, state.clock.now_ms())
        .await
        .unwrap();
}

/// Moves every time the lot's room events, deposits and settlement record a week back.
async fn a_week_earlier(app: &TestApp, lot: i64) {
    let statements = [
        "UPDATE room_events SET at_ms = at_ms - $2 WHERE lot_id = $1",
        "UPDATE deposits SET created_at_ms = created_at_ms - $2,
             resolved_at_ms = resolved_at_ms - $2 WHERE lot_id = $1",
        "UPDATE settlements SET created_at_ms = created_at_ms - $2,
             resolved_at_ms = resolved_at_ms - $2 WHERE lot_id = $1",
    ];
    let url = app.database.url();
    if url.starts_with("sqlite:") {
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
            .unwrap()
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        for statement in statements {
            sqlx::query(statement)
                .bind(lot)
                .bind(WEEK_MS)
                .execute(&pool)
                .await
                .unwrap();
        }
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        for statement in statements {
            sqlx::query(statement)
                .bind(lot)
                .bind(WEEK_MS)
                .execute(&pool)
                .await
                .unwrap();
        }
        pool.close().await;
    }
}

fn figures(week: &Value, currency: &str) -> Value {
    week["currencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|figures| figures["currency"] == currency)
        .cloned()
        .unwrap_or_else(|| panic!("no {currency} in {week}"))
}

#[allow(clippy::too_many_arguments)]
fn expected(
    opened: u64,
    sold: u64,
    turnover: &str,
    fees: &str,
    held: &str,
    settled_lots: u64,
    settled: &str,
) -> Value {
    json!({
        "currency": "CNY",
        "lots_opened": opened,
        "lots_sold": sold,
        "turnover": turnover,
        "fees": fees,
        "deposits_held": held,
        "lots_settled": settled_lots,
        "settled": settled,
    })
}

async fn this_week_and_last_week_count_each_lot_in_its_week(db: Db) {
    let app = TestApp::spawn(db).await;
    let house = app.create_auctioneer("house").await;
    let other = app.create_auctioneer("other-house").await;

    // Last week (moved back below): a lot opened, sold at 5000.00 and paid for.
    let (sold_last_week, bidders) = lot_with_bidders(&app, &house, "last", 2).await;
    open_room(&app, sold_last_week).await;
    sell(&app, sold_last_week, &bidders[0].user, "5000.00").await;
    let (status, paid) = app
        .post(
            &format!("/lots/{sold_last_week}/settlement/pay"),
            Some(&bidders[0].user.token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{paid}");
    a_week_earlier(&app, sold_last_week).await;

    // A deposit lodged last week and held ever since, for a lot that opens this week.
    let (held_since_last_week, _) = lot_with_bidders(&app, &house, "held", 1).await;
    a_week_earlier(&app, held_since_last_week).await;
    open_room(&app, held_since_last_week).await;

    // This week: another auctioneer's lot opened and sold at 1200.00, not yet paid.
    let (sold_this_week, bidders) = lot_with_bidders(&app, &other, "this", 1).await;
    open_room(&app, sold_this_week).await;
    sell(&app, sold_this_week, &bidders[0].user, "1200.00").await;

    let admin = app.admin_token().await;
    let (status, stats) = app.get("/stats/weekly", Some(&admin)).await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["time_zone"], "Asia/Shanghai");
    assert_eq!(stats["scope"], "exchange");
    assert_eq!(
        figures(&stats["last_week"], "CNY"),
        expected(1, 1, "5000.00", "50.00", "200.00", 1, "4850.00")
    );
    assert_eq!(
        figures(&stats["this_week"], "CNY"),
        expected(2, 1, "1200.00", "12.00", "200.00", 0, "0.00")
    );
    assert_eq!(
        stats["last_week"]["ends_at"],
        stats["this_week"]["starts_at"]
    );

    // An auctioneer sees its own lots only.
    let (status, mine) = app.get("/stats/weekly", Some(&house.token)).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["scope"], "auctioneer");
    assert_eq!(
        figures(&mine["last_week"], "CNY"),
        expected(1, 1, "5000.00", "50.00", "200.00", 1, "4850.00")
    );
    assert_eq!(
        figures(&mine["this_week"], "CNY"),
        expected(1, 0, "0.00", "0.00", "200.00", 0, "0.00")
    );
    let (_, theirs) = app.get("/stats/weekly", Some(&other.token)).await;
    assert_eq!(
        figures(&theirs["last_week"], "CNY"),
        expected(0, 0, "0.00", "0.00", "0.00", 0, "0.00")
    );
    assert_eq!(
        figures(&theirs["this_week"], "CNY"),
        expected(1, 1, "1200.00", "12.00", "0.00", 0, "0.00")
    );

    // Nobody else.
    let bidder = app.signup_bidder("someone").await;
    assert_eq!(app.get("/stats/weekly", Some(&bidder.token)).await.0, 403);
    assert_eq!(app.get("/stats/weekly", None).await.0, 401);
    app.stop().await;
}
on_both_databases!(
    this_week_and_last_week_count_each_lot_in_its_week,
    super::this_week_and_last_week_count_each_lot_in_its_week
);

async fn the_statistics_come_as_csv_when_asked(db: Db) {
    let app = TestApp::spawn(db).await;
    let house = app.create_auctioneer("house").await;
    let (lot, bidders) = lot_with_bidders(&app, &house, "b", 1).await;
    open_room(&app, lot).await;
    sell(&app, lot, &bidders[0].user, "3000.00").await;
    let admin = app.admin_token().await;

    let (_, json) = app.get("/stats/weekly", Some(&admin)).await;
    let monday = json["this_week"]["monday"].as_str().unwrap().to_owned();
    let this_week = format!(
        "this,{monday},{},{},CNY,1,1,3000.00,30.00,0.00,0,0.00",
        json["this_week"]["starts_at"].as_str().unwrap(),
        json["this_week"]["ends_at"].as_str().unwrap()
    );
    let asked = [
        (format!("{}/stats/weekly?format=csv", app.base_url), "*/*"),
        (format!("{}/stats/weekly", app.base_url), "text/csv"),
    ];
    for (url, accept) in asked {
        let response = app
            .http
            .get(&url)
            .bearer_auth(&admin)
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "text/csv; charset=utf-8"
        );
        assert_eq!(
            response.headers()["content-disposition"],
            format!("attachment; filename=\"weekly-stats-{monday}.csv\"").as_str()
        );
        let text = response.text().await.unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "week,monday,starts_at,ends_at,currency,lots_opened,lots_sold,turnover,fees,\
             deposits_held,lots_settled,settled"
        );
        assert_eq!(lines[1], this_week);
        assert!(lines[2].starts_with("last,"), "{text}");
        assert!(
            lines[2].ends_with(",CNY,0,0,0.00,0.00,0.00,0,0.00"),
            "{text}"
        );
        assert_eq!(lines.len(), 3);
    }
    let (status, body) = app.get("/stats/weekly?format=xml", Some(&admin)).await;
    assert_eq!(status, 400, "{body}");
    app.stop().await;
}
on_both_databases!(
    the_statistics_come_as_csv_when_asked,
    super::the_statistics_come_as_csv_when_asked
);
