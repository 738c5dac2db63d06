//! The REST API called in process, through the same router clients use, so that the demo
//! seeds and schedules through the real paths (validation, ledger, journal).

use std::net::SocketAddr;

use anyhow::{Context, bail};
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::DEMO_PASSWORD;
use crate::app::{AppState, router};

#[derive(Clone)]
pub struct Api {
    router: Router,
}

/// A demo account, signed in.
#[derive(Clone, Debug)]
pub struct DemoAccount {
    pub id: i64,
    pub username: String,
    pub token: String,
}

impl Api {
    pub fn new(state: &AppState) -> Api {
        Api {
            router: router(state.clone()),
        }
    }

    pub async fn call(
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
            .header("content-type", "application/json")
            // In process, as if from the loopback address (sign-ins are throttled by address).
            .extension(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 0))));
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

    /// `PUT`s `file` as the raw body (an item list), expecting 200.
    pub async fn put_file(
        &self,
        path: &str,
        token: &str,
        file: &'static str,
    ) -> anyhow::Result<()> {
        let request = Request::builder()
            .method("PUT")
            .uri(format!("/api/v1{path}"))
            .header("content-type", "text/csv")
            .header("authorization", format!("Bearer {token}"))
            .extension(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 0))))
            .body(Body::from(file))?;
        let response = self.router.clone().oneshot(request).await?;
        let status = response.status();
        if status != StatusCode::OK {
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await?;
            bail!(
                "demo: PUT {path} answered {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(())
    }

    pub async fn expect(
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
            bail!("demo: {method} {path} answered {status}: {value}");
        }
        Ok(value)
    }

    pub async fn get(&self, path: &str, token: &str) -> anyhow::Result<Value> {
        self.expect("GET", path, Some(token), &[], Value::Null, StatusCode::OK)
            .await
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> anyhow::Result<String> {
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

    /// Signs a demo account in with the demo password.
    pub async fn demo_account(&self, username: &str) -> anyhow::Result<DemoAccount> {
        let token = self.sign_in(username, DEMO_PASSWORD).await?;
        let me = self.get("/me", &token).await?;
        Ok(DemoAccount {
            id: me["id"].as_i64().context("an account id")?,
            username: username.to_owned(),
            token,
        })
    }

    /// Creates the account unless a previous demo run did; signs it in.
    pub async fn ensure_account(
        &self,
        creator: Option<&str>,
        username: &str,
        display_name: &str,
        role: &str,
    ) -> anyhow::Result<DemoAccount> {
        self.ensure_account_of_kind(creator, username, display_name, role, "individual")
            .await
    }

    /// As [`Api::ensure_account`], for an `individual` or an `organisation`.
    pub async fn ensure_account_of_kind(
        &self,
        creator: Option<&str>,
        username: &str,
        display_name: &str,
        role: &str,
        kind: &str,
    ) -> anyhow::Result<DemoAccount> {
        let body = json!({
            "username": username,
            "password": DEMO_PASSWORD,
            "display_name": display_name,
            "role": role,
            "kind": kind,
        });
        let (status, _) = self.call("POST", "/accounts", creator, &[], body).await?;
        if status != StatusCode::CREATED && status != StatusCode::CONFLICT {
            bail!("demo: creating {username} answered {status}");
        }
        self.demo_account(username).await
    }
}
