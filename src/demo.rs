//! `--demo`: a demo exchange a newcomer can click through, seeded through the public API
//! (in process, through the same router clients use), so it exercises the real paths.

use anyhow::{Context, bail};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::http::{AppState, router};
use crate::time_format::to_rfc3339;

/// Every demo account's password.
pub const DEMO_PASSWORD: &str = "bidroom-demo";

/// The admin `--demo` creates when no `--bootstrap-admin` is given.
pub const DEMO_ADMIN: &str = "admin";

const AUCTIONEER: &str = "auctioneer";
const BIDDERS: [(&str, &str, &str); 3] = [
    ("alice", "Alice Wang", "11010519491231002X"),
    ("bob", "Bob Li", "110101199003070134"),
    ("carol", "Carol Zhang", "440106198505120027"),
];

/// Seeds the demo and returns the text that tells a person how to sign in.
pub async fn seed(state: &AppState, address: std::net::SocketAddr) -> anyhow::Result<String> {
    let credentials = state
        .config
        .bootstrap_admin
        .as_ref()
        .context("the demo needs a bootstrap admin")?;
    let (admin_username, admin_password) =
        (credentials.username.as_str(), credentials.password.as_str());
    let api = Api {
        router: router(state.clone()),
    };
    let admin = api
        .sign_in(admin_username, admin_password)
        .await
        .context("the demo needs its admin")?;
    let auctioneer = api
        .account(Some(&admin), AUCTIONEER, "Demo Auction House", "auctioneer")
        .await?;
    let mut bidders = Vec::new();
    for (username, display_name, id_number) in BIDDERS {
        let bidder = api.account(None, username, display_name, "bidder").await?;
        api.expect(
            "POST",
            &format!("/accounts/{}/verification", bidder.id),
            Some(&admin),
            &[],
            json!({"real_name": display_name, "id_number": id_number}),
            StatusCode::OK,
        )
        .await?;
        let me = api
            .expect(
                "GET",
                "/me",
                Some(&bidder.token),
                &[],
                Value::Null,
                StatusCode::OK,
            )
            .await?;
        let account_number = me["wallet"]["account_number"]
            .as_str()
            .context("a wallet number")?
            .to_owned();
        let top_up = json!({
            "transfer_id": format!("demo-top-up-{username}"),
            "account_number": account_number,
            "amount": "500000.00",
            "currency": "CNY",
            // Fixed, so that a second demo run repeats the same notification (a no-op).
            "received_at": "2026-01-01T00:00:00Z",
        });
        api.expect(
            "POST",
            "/bank/notifications",
            Some(&admin),
            &[],
            top_up,
            StatusCode::CREATED,
        )
        .await?;
        bidders.push(bidder);
    }

    let now_ms = state.clock.now_ms();
    let lots = [
        (
            "Land-use right, plot A-17 (residential, 12,000 m²)",
            "2000000.00",
            "50000.00",
            30_000,
            5 * 60_000,
        ),
        (
            "Office equipment package, 120 items",
            "18000.00",
            "500.00",
            45_000,
            3 * 60_000,
        ),
        (
            "Vehicle: 2019 sedan, judicial sale",
            "60000.00",
            "1000.00",
            60_000,
            4 * 60_000,
        ),
    ];
    let mut lot_lines = Vec::new();
    for (title, start_price, increment, opens_in_ms, runs_for_ms) in lots {
        let starts_at_ms = now_ms + opens_in_ms;
        let lot = api
            .expect(
                "POST",
                "/lots",
                Some(&auctioneer.token),
                &[],
                json!({
                    "title": title,
                    "description": "A demo lot: sign in as a bidder and bid in its room.",
                    "start_price": start_price,
                    "increment": increment,
                    "deposit": {"kind": "fixed", "amount": increment},
                    "fee_rate": "0.01",
                    "applications_close_at": to_rfc3339(starts_at_ms),
                    "deposit_deadline": to_rfc3339(starts_at_ms),
                    "starts_at": to_rfc3339(starts_at_ms),
                    "ends_at": to_rfc3339(starts_at_ms + runs_for_ms),
                    "extension_window_secs": 30,
                    "extension_mode": "reset",
                }),
                StatusCode::CREATED,
            )
            .await?;
        let lot_id = lot["id"].as_i64().context("a lot id")?;
        api.expect(
            "POST",
            &format!("/lots/{lot_id}/publish"),
            Some(&auctioneer.token),
            &[],
            Value::Null,
            StatusCode::OK,
        )
        .await?;
        for bidder in &bidders {
            let application = api
                .expect(
                    "POST",
                    &format!("/lots/{lot_id}/applications"),
                    Some(&bidder.token),
                    &[],
                    Value::Null,
                    StatusCode::CREATED,
                )
                .await?;
            let application_id = application["id"].as_i64().context("an application id")?;
            api.expect(
                "POST",
                &format!("/applications/{application_id}/approve"),
                Some(&auctioneer.token),
                &[],
                json!({}),
                StatusCode::OK,
            )
            .await?;
            let key = format!("demo-deposit-{application_id}");
            api.expect(
                "POST",
                &format!("/applications/{application_id}/deposit"),
                Some(&bidder.token),
                &[("idempotency-key", key.as_str())],
                json!({}),
                StatusCode::CREATED,
            )
            .await?;
        }
        lot_lines.push(format!(
            "  lot {lot_id}: {title} (opens {})",
            to_rfc3339(starts_at_ms)
        ));
    }

    let admin_password_note = if admin_password == DEMO_PASSWORD {
        ""
    } else {
        " (with the --bootstrap-admin password)"
    };
    Ok(format!(
        "bidroom demo exchange is ready at http://{address}\n\
         sign in (POST /api/v1/sessions) with password \"{DEMO_PASSWORD}\" as:\n  \
         admin: {admin_username}{admin_password_note}\n  \
         auctioneer: {AUCTIONEER}\n  \
         bidders: alice, bob, carol (verified, 500000.00 CNY each, deposits lodged)\n\
         lots:\n{}\n\
         then open ws://{address}/ws and send {{\"type\":\"auth\",\"token\":TOKEN}}, \
         {{\"type\":\"join\",\"lot\":ID}} and {{\"type\":\"bid\",\"lot\":ID,\"amount\":\"...\",\"req\":\"1\"}}",
        lot_lines.join("\n")
    ))
}

struct Api {
    router: Router,
}

struct DemoAccount {
    id: i64,
    token: String,
}

impl Api {
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Value,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("/api/v1{path}"))
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = if body.is_null() {
            Body::empty()
        } else {
            Body::from(body.to_string())
        };
        let response = self.router.clone().oneshot(request.body(body)?).await?;
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await?;
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Ok((status, value))
    }

    async fn expect(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Value,
        wanted: StatusCode,
    ) -> anyhow::Result<Value> {
        let (status, value) = self.call(method, path, token, headers, body).await?;
        if status != wanted {
            bail!("demo seeding: {method} {path} answered {status}: {value}");
        }
        Ok(value)
    }

    async fn sign_in(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let session = self
            .expect(
                "POST",
                "/sessions",
                None,
                &[],
                json!({"username": username, "password": password}),
                StatusCode::OK,
            )
            .await?;
        Ok(session["token"]
            .as_str()
            .context("a session token")?
            .to_owned())
    }

    /// Creates the account unless a previous demo run did; signs it in.
    async fn account(
        &self,
        creator: Option<&str>,
        username: &str,
        display_name: &str,
        role: &str,
    ) -> anyhow::Result<DemoAccount> {
        let body = json!({"username": username, "password": DEMO_PASSWORD, "display_name": display_name, "role": role});
        let (status, _) = self.call("POST", "/accounts", creator, &[], body).await?;
        if status != StatusCode::CREATED && status != StatusCode::CONFLICT {
            bail!("demo seeding: creating {username} answered {status}");
        }
        let token = self.sign_in(username, DEMO_PASSWORD).await?;
        let me = self
            .expect("GET", "/me", Some(&token), &[], Value::Null, StatusCode::OK)
            .await?;
        Ok(DemoAccount {
            id: me["id"].as_i64().context("an account id")?,
            token,
        })
    }
}
