//! The REST API of SPEC §5, as much of it as setting up and checking an exchange needs.

use std::sync::Arc;

use anyhow::{Context, bail};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The bulk-seeding route (`bidroom serve --allow-bulk-seed`).
const SEED_PATH: &str = "/admin/seed/bidders";

/// A REST client for one server. Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

/// A signed-in account.
#[derive(Clone, Debug)]
pub struct Session {
    pub account_id: i64,
    pub token: String,
}

/// What the server says about a lot after its room has run.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct LotOutcome {
    pub status: String,
    pub price: Option<String>,
    pub winner_bidder: Option<String>,
    pub bid_count: u64,
}

impl Api {
    /// `server` is the server's root URL, e.g. `http://127.0.0.1:8080`; an `https://` one
    /// takes `tls` (see [`crate::tls::for_server`]).
    pub fn new(
        server: &str,
        pool_size: usize,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> anyhow::Result<Api> {
        let mut builder = reqwest::Client::builder()
            .pool_max_idle_per_host(pool_size)
            .tcp_nodelay(true);
        if let Some(tls) = tls {
            builder = builder.use_preconfigured_tls(rustls::ClientConfig::clone(&tls));
        }
        let http = builder.build().context("an HTTP client")?;
        Ok(Api {
            http,
            base: format!("{}/api/v1", server.trim_end_matches('/')),
        })
    }

    /// Sends a request; returns the status and the JSON body (`Null` when empty).
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {path}: the server could not be reached"))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .with_context(|| format!("{method} {path}: reading the answer"))?;
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok((status, value))
    }

    /// A call that must answer `wanted`.
    async fn expect(
        &self,
        wanted: StatusCode,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let (status, value) = self
            .call(method.clone(), path, token, headers, body)
            .await?;
        if status != wanted {
            bail!("{method} {path}: expected {wanted}, got {status}: {value}");
        }
        Ok(value)
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> anyhow::Result<Session> {
        let body = json!({ "username": username, "password": password });
        let value = self
            .expect(
                StatusCode::OK,
                Method::POST,
                "/sessions",
                None,
                &[],
                Some(&body),
            )
            .await?;
        Ok(Session {
            account_id: field_i64(&value["account"], "id")?,
            token: field_str(&value, "token")?.to_owned(),
        })
    }

    /// Creates an account (a bidder signs itself up; staff are created by `creator`).
    /// Returns false if the username is taken, so that a run can reuse its accounts.
    pub async fn create_account(
        &self,
        creator: Option<&str>,
        username: &str,
        password: &str,
        role: &str,
    ) -> anyhow::Result<bool> {
        let body = json!({
            "username": username,
            "password": password,
            "display_name": username,
            "role": role,
        });
        let (status, value) = self
            .call(Method::POST, "/accounts", creator, &[], Some(&body))
            .await?;
        match status {
            StatusCode::CREATED => Ok(true),
            StatusCode::CONFLICT => Ok(false),
            _ => bail!("POST /accounts ({username}): {status}: {value}"),
        }
    }

    /// Real-name verification by an admin, with a resident id whose check digit is valid.
    pub async fn verify(&self, admin: &str, account_id: i64) -> anyhow::Result<()> {
        let body = json!({ "real_name": "Load Tester", "id_number": "11010519491231002X" });
        self.expect(
            StatusCode::OK,
            Method::POST,
            &format!("/accounts/{account_id}/verification"),
            Some(admin),
            &[],
            Some(&body),
        )
        .await?;
        Ok(())
    }

    /// The caller's virtual account number (for top-ups).
    pub async fn account_number(&self, token: &str) -> anyhow::Result<String> {
        let value = self
            .expect(StatusCode::OK, Method::GET, "/me", Some(token), &[], None)
            .await?;
        Ok(field_str(&value["wallet"], "account_number")?.to_owned())
    }

    /// A bank transfer entered by an admin (no bank signature needed).
    pub async fn top_up(
        &self,
        admin: &str,
        transfer_id: &str,
        account_number: &str,
        amount: &str,
    ) -> anyhow::Result<()> {
        let body = json!({
            "transfer_id": transfer_id,
            "account_number": account_number,
            "amount": amount,
            "currency": "CNY",
            "received_at": "2026-01-01T00:00:00Z",
        });
        self.expect(
            StatusCode::CREATED,
            Method::POST,
            "/bank/notifications",
            Some(admin),
            &[],
            Some(&body),
        )
        .await?;
        Ok(())
    }

    /// Creates and publishes a lot; returns its id.
    pub async fn published_lot(&self, auctioneer: &str, terms: &Value) -> anyhow::Result<i64> {
        let lot = self
            .expect(
                StatusCode::CREATED,
                Method::POST,
                "/lots",
                Some(auctioneer),
                &[],
                Some(terms),
            )
            .await?;
        let id = field_i64(&lot, "id")?;
        self.expect(
            StatusCode::OK,
            Method::POST,
            &format!("/lots/{id}/publish"),
            Some(auctioneer),
            &[],
            None,
        )
        .await?;
        Ok(id)
    }

    /// Applies for a lot; returns the application's id.
    pub async fn apply(&self, bidder: &str, lot: i64) -> anyhow::Result<i64> {
        let value = self
            .expect(
                StatusCode::CREATED,
                Method::POST,
                &format!("/lots/{lot}/applications"),
                Some(bidder),
                &[],
                None,
            )
            .await?;
        field_i64(&value, "id")
    }

    /// Approves an application; returns the bidder number.
    pub async fn approve(&self, auctioneer: &str, application: i64) -> anyhow::Result<String> {
        let value = self
            .expect(
                StatusCode::OK,
                Method::POST,
                &format!("/applications/{application}/approve"),
                Some(auctioneer),
                &[],
                Some(&json!({})),
            )
            .await?;
        Ok(field_str(&value, "bidder_number")?.to_owned())
    }

    /// Lodges the lot's (fixed) deposit from the wallet.
    pub async fn lodge_deposit(&self, bidder: &str, application: i64) -> anyhow::Result<()> {
        let key = format!("loadtest-deposit-{application}");
        self.expect(
            StatusCode::CREATED,
            Method::POST,
            &format!("/applications/{application}/deposit"),
            Some(bidder),
            &[("idempotency-key", &key)],
            Some(&json!({})),
        )
        .await?;
        Ok(())
    }

    /// Whether the server takes bulk seeding (`--allow-bulk-seed`): a request for no
    /// bidders is refused as invalid (400) when it does, and as unknown (404) when not.
    pub async fn bulk_seed_available(&self, admin: &str) -> anyhow::Result<bool> {
        let probe = json!({ "username_prefix": "probe", "count": 0, "password": "probe-password" });
        let (status, value) = self
            .call(Method::POST, SEED_PATH, Some(admin), &[], Some(&probe))
            .await?;
        match status {
            StatusCode::BAD_REQUEST => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => bail!("POST {SEED_PATH} (probe): {status}: {value}"),
        }
    }

    /// `POST /admin/seed/bidders` (see the server's `http/seed.rs` for the body); returns
    /// the seeded bidders.
    pub async fn seed_bidders(&self, admin: &str, body: &Value) -> anyhow::Result<Vec<Value>> {
        let value = self
            .expect(
                StatusCode::CREATED,
                Method::POST,
                SEED_PATH,
                Some(admin),
                &[],
                Some(body),
            )
            .await?;
        value["bidders"]
            .as_array()
            .cloned()
            .with_context(|| format!("expected the seeded bidders in {value}"))
    }

    /// `GET {path}` (under `/api/v1`, with its query), which must answer 200.
    pub async fn get(&self, token: Option<&str>, path: &str) -> anyhow::Result<Value> {
        self.expect(StatusCode::OK, Method::GET, path, token, &[], None)
            .await
    }

    /// `GET /lots/{id}/result` and the bid count of `GET /lots/{id}`.
    pub async fn outcome(&self, lot: i64) -> anyhow::Result<LotOutcome> {
        let result = self
            .expect(
                StatusCode::OK,
                Method::GET,
                &format!("/lots/{lot}/result"),
                None,
                &[],
                None,
            )
            .await?;
        let shown = self
            .expect(
                StatusCode::OK,
                Method::GET,
                &format!("/lots/{lot}"),
                None,
                &[],
                None,
            )
            .await?;
        Ok(LotOutcome {
            status: field_str(&result, "status")?.to_owned(),
            price: result["price"].as_str().map(str::to_owned),
            winner_bidder: result["winner_bidder"].as_str().map(str::to_owned),
            bid_count: shown["bid_count"].as_u64().unwrap_or_default(),
        })
    }
}

fn field_str<'a>(value: &'a Value, field: &str) -> anyhow::Result<&'a str> {
    value[field]
        .as_str()
        .with_context(|| format!("expected a string {field:?} in {value}"))
}

fn field_i64(value: &Value, field: &str) -> anyhow::Result<i64> {
    value[field]
        .as_i64()
        .with_context(|| format!("expected an integer {field:?} in {value}"))
}
