//! The connection to NATS, through which the nodes of an exchange send each other bids and
//! room events (SPEC §10). This module only connects; what travels over it is the cluster's.
//!
//! What `--nats-url` and the `--nats-*` flags mean:
//! - `nats://HOST:PORT` is TLS when the NATS server asks for it, `tls://HOST:PORT` is TLS or
//!   no connection; several URLs separated by commas are the servers of one NATS cluster.
//! - `USER:PASSWORD@` before the host is a user and password, `TOKEN@` a token (encoded as in
//!   any URL: `%40` for `@`). URLs that carry credentials must all carry the same ones.
//! - `--nats-ca-file` holds the roots the server's certificate must chain to (without it,
//!   the system's); `--nats-client-cert` and `--nats-client-key` are this node's certificate
//!   for mutual TLS. Either makes TLS required.
//! - The connection is named `bidroom NODE_ID` (the NATS server lists clients by name).
//! - Starting, a NATS that cannot be reached is tried again for
//!   `--nats-connect-timeout-secs`, then the last error is returned; a certificate or
//!   credentials that NATS refuses are an error at once. Once connected, a lost connection is
//!   retried for as long as it takes (the client's backoff, at most 4 s apart), and logged.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use async_nats::rustls::pki_types::pem::PemObject;
use async_nats::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use async_nats::{ConnectError, ConnectErrorKind, ConnectOptions, Event, ServerAddr};
use percent_encoding::percent_decode_str;
use tokio::time::Instant;

use crate::config::ServeConfig;

/// The wait before the first retry of a NATS that cannot be reached; each next wait is
/// twice as long, up to [`RETRY_DELAY_MAX`].
const RETRY_DELAY_FIRST: Duration = Duration::from_millis(100);
const RETRY_DELAY_MAX: Duration = Duration::from_secs(2);

/// Connects to NATS as `config` says (see the module's comment).
pub async fn connect(config: &ServeConfig) -> anyhow::Result<async_nats::Client> {
    let servers = Servers::parse(&config.nats_url)?;
    let options = options(config, &servers)?;
    let timeout = config.nats_connect_timeout();
    let deadline = Instant::now() + timeout;
    let mut delay = RETRY_DELAY_FIRST;
    let mut last_error: Option<ConnectError> = None;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let attempt = options.clone().connect(servers.addresses.clone());
        let error = match tokio::time::timeout(remaining, attempt).await {
            Ok(Ok(client)) => return Ok(client),
            Ok(Err(error)) => error,
            Err(_) => {
                let within = format!(
                    "could not reach NATS at {} within {} s (--nats-connect-timeout-secs)",
                    servers.display,
                    timeout.as_secs()
                );
                return Err(match last_error {
                    Some(error) => anyhow::Error::new(error).context(within),
                    None => anyhow::anyhow!(within),
                });
            }
        };
        if let Some(refused) = refusal(&error, &servers.display) {
            return Err(error).context(refused);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(error).with_context(|| {
                format!(
                    "could not reach NATS at {} within {} s (--nats-connect-timeout-secs)",
                    servers.display,
                    timeout.as_secs()
                )
            });
        }
        tracing::warn!(nats = %servers.display, %error, "NATS cannot be reached yet; trying again");
        last_error = Some(error);
        tokio::time::sleep(delay.min(deadline - now)).await;
        delay = (delay * 2).min(RETRY_DELAY_MAX);
    }
}

/// What an error that trying again cannot mend says; `None` for one worth another try (the
/// server down, starting, or not yet in the DNS).
fn refusal(error: &ConnectError, servers: &str) -> Option<String> {
    let tls = || {
        format!(
            "TLS with NATS at {servers} failed: its certificate must chain to a root in \
             --nats-ca-file (the system's roots without it) and name the host connected to, \
             and a server that asks for this node's certificate needs --nats-client-cert"
        )
    };
    match error.kind() {
        ConnectErrorKind::Tls => Some(tls()),
        ConnectErrorKind::Authentication | ConnectErrorKind::AuthorizationViolation => Some(
            format!("NATS at {servers} refused this node's credentials (from --nats-url)"),
        ),
        ConnectErrorKind::ServerParse => Some(format!("NATS at {servers} could not be spoken to")),
        // The client reports a failed handshake as I/O: rustls's error inside an I/O error.
        ConnectErrorKind::Io if handshake_failed(error) => Some(tls()),
        ConnectErrorKind::Dns
        | ConnectErrorKind::TimedOut
        | ConnectErrorKind::Io
        | ConnectErrorKind::MaxReconnects => None,
    }
}

/// Whether rustls refused the handshake (a certificate, a protocol version, an alert from
/// the server), somewhere in the error's causes.
fn handshake_failed(error: &ConnectError) -> bool {
    let mut cause = std::error::Error::source(error);
    while let Some(error) = cause {
        let inner = error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref);
        if error.is::<async_nats::rustls::Error>()
            || inner.is_some_and(|inner| inner.is::<async_nats::rustls::Error>())
        {
            return true;
        }
        cause = error.source();
    }
    false
}

/// The client's options: name, credentials, TLS, reconnection.
fn options(config: &ServeConfig, servers: &Servers) -> anyhow::Result<ConnectOptions> {
    let name = match &config.node_id {
        Some(node_id) => format!("bidroom {node_id}"),
        None => "bidroom".to_owned(),
    };
    let mut options = ConnectOptions::new()
        .name(&name)
        .max_reconnects(None)
        .event_callback(move |event| log_event(name.clone(), event));
    options = match &servers.credentials {
        Some(Credentials::UserPassword { user, password }) => {
            options.user_and_password(user.clone(), password.clone())
        }
        Some(Credentials::Token(token)) => options.token(token.clone()),
        None => options,
    };
    if let Some(ca_file) = &config.nats_ca_file {
        check_certificates(ca_file, "--nats-ca-file")?;
        options = options
            .add_root_certificates(ca_file.clone())
            .require_tls(true);
    }
    match (&config.nats_client_cert, &config.nats_client_key) {
        (Some(certificate), Some(key)) => {
            check_certificates(certificate, "--nats-client-cert")?;
            PrivateKeyDer::from_pem_file(key)
                .map_err(|error| anyhow::anyhow!("--nats-client-key {}: {error}", key.display()))?;
            options = options
                .add_client_certificate(certificate.clone(), key.clone())
                .require_tls(true);
        }
        (None, None) => {}
        _ => bail!("--nats-client-cert and --nats-client-key go together"),
    }
    Ok(options)
}

/// The file holds at least one PEM certificate, and nothing that is not one.
fn check_certificates(path: &Path, flag: &str) -> anyhow::Result<()> {
    let certificates = CertificateDer::pem_file_iter(path)
        .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
        .map_err(|error| anyhow::anyhow!("{flag} {}: {error}", path.display()))?;
    if certificates.is_empty() {
        bail!("{flag} {}: no PEM certificate in it", path.display());
    }
    Ok(())
}

async fn log_event(name: String, event: Event) {
    match event {
        Event::Connected => tracing::info!(connection = %name, "connected to NATS"),
        Event::Disconnected => {
            tracing::warn!(connection = %name, "lost the connection to NATS; reconnecting")
        }
        Event::Closed | Event::Draining => {}
        other => tracing::warn!(connection = %name, event = %other, "NATS"),
    }
}

/// The servers `--nats-url` names, without their credentials, and the credentials.
#[derive(Debug)]
struct Servers {
    addresses: Vec<ServerAddr>,
    /// `scheme://host:port`, comma-separated: for messages (no credentials in it).
    display: String,
    credentials: Option<Credentials>,
}

#[derive(Debug, PartialEq, Eq)]
enum Credentials {
    UserPassword { user: String, password: String },
    Token(String),
}

impl Servers {
    fn parse(urls: &str) -> anyhow::Result<Servers> {
        let mut addresses = Vec::new();
        let mut shown = Vec::new();
        let mut credentials = None;
        for (index, url) in urls.split(',').map(str::trim).enumerate() {
            let which = index + 1;
            if url.is_empty() {
                bail!("--nats-url: URL {which} is empty");
            }
            let address: ServerAddr = url
                .parse()
                .map_err(|error| anyhow::anyhow!("--nats-url: URL {which}: {error}"))?;
            if address.is_websocket() {
                bail!("--nats-url: URL {which}: expected nats:// or tls://, not a WebSocket");
            }
            let mut url = address.into_inner();
            let found = url_credentials(url.username(), url.password())
                .with_context(|| format!("--nats-url: URL {which}"))?;
            match (&credentials, found) {
                (_, None) => {}
                (None, Some(found)) => credentials = Some(found),
                (Some(known), Some(found)) if *known == found => {}
                (Some(_), Some(_)) => {
                    bail!("--nats-url: the URLs carry different credentials; a node has one")
                }
            }
            let stripped = url.set_username("").is_ok() && url.set_password(None).is_ok();
            if !stripped {
                bail!("--nats-url: URL {which} has no host");
            }
            let address = ServerAddr::from_url(url)
                .map_err(|error| anyhow::anyhow!("--nats-url: URL {which}: {error}"))?;
            shown.push(format!(
                "{}://{}:{}",
                address.scheme(),
                address.host(),
                address.port()
            ));
            addresses.push(address);
        }
        Ok(Servers {
            addresses,
            display: shown.join(","),
            credentials,
        })
    }
}

/// `user:password@` or `token@`, percent-decoded.
fn url_credentials(user: &str, password: Option<&str>) -> anyhow::Result<Option<Credentials>> {
    let decode = |text: &str, what: &str| {
        percent_decode_str(text)
            .decode_utf8()
            .map(|decoded| decoded.into_owned())
            .map_err(|_| anyhow::anyhow!("the {what} is not UTF-8 once decoded"))
    };
    Ok(match (user, password) {
        ("", None) => None,
        ("", Some(_)) => bail!("a password without a user"),
        (token, None) => Some(Credentials::Token(decode(token, "token")?)),
        (user, Some(password)) => Some(Credentials::UserPassword {
            user: decode(user, "user")?,
            password: decode(password, "password")?,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_and_password_are_taken_out_of_the_url() {
        let servers = Servers::parse("tls://bidroom:p%40ss%3Aword@nats.internal:4443").unwrap();
        assert_eq!(
            servers.credentials,
            Some(Credentials::UserPassword {
                user: "bidroom".to_owned(),
                password: "p@ss:word".to_owned(),
            })
        );
        assert_eq!(servers.display, "tls://nats.internal:4443");
        let address = servers.addresses[0].clone().into_inner();
        assert_eq!(address.as_str(), "tls://nats.internal:4443");
        assert!(servers.addresses[0].tls_required());
    }

    #[test]
    fn a_user_alone_is_a_token() {
        let servers = Servers::parse("nats://s3cr3t-token@127.0.0.1").unwrap();
        assert_eq!(
            servers.credentials,
            Some(Credentials::Token("s3cr3t-token".to_owned()))
        );
        assert_eq!(servers.display, "nats://127.0.0.1:4222");
    }

    #[test]
    fn several_servers_share_one_set_of_credentials() {
        let servers = Servers::parse(
            "nats://a:b@n1.internal:4222, nats://n2.internal, nats://a:b@n3.internal",
        )
        .unwrap();
        assert_eq!(servers.addresses.len(), 3);
        assert_eq!(
            servers.display,
            "nats://n1.internal:4222,nats://n2.internal:4222,nats://n3.internal:4222"
        );
        let error = Servers::parse("nats://a:b@n1.internal,nats://a:c@n2.internal").unwrap_err();
        assert!(
            error.to_string().contains("different credentials"),
            "{error}"
        );
        assert!(!error.to_string().contains(":c@"), "{error}");
    }

    #[test]
    fn bad_urls_are_refused_clearly() {
        for (url, expected) in [
            ("", "URL 1 is empty"),
            ("nats://n1.internal,", "URL 2 is empty"),
            ("http://n1.internal", "invalid scheme"),
            ("ws://n1.internal", "not a WebSocket"),
            ("nats://:secret@n1.internal", "a password without a user"),
        ] {
            let error = format!("{:#}", Servers::parse(url).unwrap_err());
            assert!(error.contains(expected), "{url}: {error}");
            assert!(!error.contains("secret"), "{url}: {error}");
        }
    }

    #[test]
    fn only_errors_that_time_can_mend_are_retried() {
        let refused = |error: ConnectError| refusal(&error, "nats://n1:4222");
        for kind in [
            ConnectErrorKind::Io,
            ConnectErrorKind::TimedOut,
            ConnectErrorKind::Dns,
        ] {
            assert!(refused(ConnectError::new(kind)).is_none(), "{kind:?}");
        }
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(refused(ConnectError::from(reset)).is_none());
        for kind in [
            ConnectErrorKind::Tls,
            ConnectErrorKind::Authentication,
            ConnectErrorKind::AuthorizationViolation,
        ] {
            assert!(refused(ConnectError::new(kind)).is_some(), "{kind:?}");
        }
        let untrusted = async_nats::rustls::Error::InvalidCertificate(
            async_nats::rustls::CertificateError::UnknownIssuer,
        );
        let handshake = std::io::Error::new(std::io::ErrorKind::InvalidData, untrusted);
        let message = refused(ConnectError::from(handshake)).expect("not retried");
        assert!(message.contains("--nats-ca-file"), "{message}");
    }

    #[test]
    fn a_missing_or_empty_certificate_file_is_named() {
        let directory = tempfile::tempdir().unwrap();
        let missing = directory.path().join("missing.pem");
        let mut config = ServeConfig::for_tests("sqlite::memory:");
        config.nats_ca_file = Some(missing.clone());
        let servers = Servers::parse(&config.nats_url).unwrap();
        let error = format!("{:#}", options(&config, &servers).unwrap_err());
        assert!(error.contains("--nats-ca-file"), "{error}");
        assert!(error.contains(&missing.display().to_string()), "{error}");

        let empty = directory.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        config.nats_ca_file = Some(empty);
        let error = format!("{:#}", options(&config, &servers).unwrap_err());
        assert!(error.contains("no PEM certificate"), "{error}");
    }
}
