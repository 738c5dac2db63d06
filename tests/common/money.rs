//! Money fixtures: signed bank notifications, wallets, deposits, and the ledger check
//! every money test ends with.

use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

use super::{BANK_SECRET, TestApp, User};

/// The hex HMAC-SHA256 of `body` under the test bank secret.
pub fn bank_signature(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(BANK_SECRET.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// A transfer notification's body.
pub fn notification(transfer_id: &str, account_number: &str, amount: &str) -> Value {
    json!({
        "transfer_id": transfer_id,
        "account_number": account_number,
        "amount": amount,
        "currency": "CNY",
        "received_at": "2026-11-23T08:00:00Z",
    })
}

impl TestApp {
    /// Posts raw bytes, with extra headers; returns the status and the JSON body.
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(format!("{}{}", self.base_url, path))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request
            .send()
            .await
            .expect("the request reaches the server");
        let status = response.status();
        let text = response.text().await.expect("a response body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body)
    }

    /// Sends a notification signed as the bank signs it.
    pub async fn bank_notify(&self, body: &Value) -> (StatusCode, Value) {
        let bytes = serde_json::to_vec(body).unwrap();
        let signature = bank_signature(&bytes);
        self.post_raw(
            "/bank/notifications",
            None,
            &[("x-signature", &signature)],
            bytes,
        )
        .await
    }

    /// The caller's wallet (`GET /wallet`).
    pub async fn wallet(&self, token: &str) -> Value {
        let (status, body) = self.get("/wallet", Some(token)).await;
        assert_eq!(status, 200, "read the wallet: {body}");
        body
    }

    /// The account's virtual account number.
    pub async fn account_number(&self, user: &User) -> String {
        self.wallet(&user.token).await["account_number"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Credits `amount` to the user's wallet through a signed bank notification.
    pub async fn top_up(&self, user: &User, amount: &str) {
        let account_number = self.account_number(user).await;
        let transfer_id = format!("top-up-{}-{}", user.id, rand::random::<u64>());
        let (status, body) = self
            .bank_notify(&notification(&transfer_id, &account_number, amount))
            .await;
        assert_eq!(status, 201, "top up: {body}");
    }

    /// `(available, frozen)` of the user's wallet, as strings.
    pub async fn balances(&self, user: &User) -> (String, String) {
        let wallet = self.wallet(&user.token).await;
        (
            wallet["available"].as_str().unwrap().to_owned(),
            wallet["frozen"].as_str().unwrap().to_owned(),
        )
    }

    /// Lodges a deposit with an `Idempotency-Key`.
    pub async fn deposit(
        &self,
        user: &User,
        application_id: i64,
        key: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        self.post_raw(
            &format!("/applications/{application_id}/deposit"),
            Some(&user.token),
            &[("idempotency-key", key)],
            serde_json::to_vec(&body).unwrap(),
        )
        .await
    }

    /// Asserts the ledger is consistent: all balances sum to zero, each kept balance
    /// equals its entries, every transaction balances.
    pub async fn assert_ledger_balanced(&self) {
        let store = &self.server.as_ref().expect("a running server").state.store;
        let report = store
            .reconcile_ledger()
            .await
            .expect("reconcile the ledger");
        assert!(
            report.is_consistent(),
            "the ledger is inconsistent: {report:?}"
        );
    }
}

impl TestApp {
    /// Closes the lot's money as the room does after a close: sold to `winner` at `price`,
    /// or unsold when `winner` is `None`.
    pub async fn settle_closed_lot(&self, lot_id: i64, winner: Option<(&User, &str)>) {
        use bidroom::auction::{ClosedEvent, LotResult};
        use bidroom::money::Money;
        let closed = match winner {
            Some((user, price)) => ClosedEvent {
                result: LotResult::Sold,
                price: Some(Money::parse(price).unwrap()),
                leader: Some(user.id),
                leader_bidder_number: None,
            },
            None => ClosedEvent {
                result: LotResult::Unsold,
                price: None,
                leader: None,
                leader_bidder_number: None,
            },
        };
        let state = &self.server.as_ref().expect("a running server").state;
        state
            .store
            .settle_closed_lot(lot_id, &closed, state.clock.now_ms())
            .await
            .expect("settle the closed lot");
    }

    /// Releases every deposit of the lot, as the room does after a cancel.
    pub async fn release_lot_deposits(&self, lot_id: i64) {
        let state = &self.server.as_ref().expect("a running server").state;
        state
            .store
            .release_lot_deposits(lot_id, state.clock.now_ms())
            .await
            .expect("release the lot's deposits");
    }

    /// The kept balance of one ledger account (`fees`, `lot:7:proceeds`, ...).
    pub async fn ledger_balance(&self, name: &str) -> String {
        let store = &self.server.as_ref().expect("a running server").state.store;
        let report = store
            .reconcile_ledger()
            .await
            .expect("reconcile the ledger");
        report.balance(name).to_string()
    }
}
