//! How the server reaches PostgreSQL: what the `postgres://` URL says, TLS included.
//!
//! The URL's `sslmode`, `sslrootcert`, `sslcert` and `sslkey` (and libpq's `PGSSLMODE`,
//! `PGSSLROOTCERT`, ... in the environment) mean what they mean to libpq:
//! - `disable`: plain TCP; `prefer` (the default): TLS when the server offers it;
//! - `require`: TLS or no connection, the certificate not checked (libpq's rule: when a root
//!   certificate is named, `require` checks the chain as `verify-ca` does);
//! - `verify-ca`: the server's certificate must chain to a trusted root; `verify-full`:
//!   that, and it must name the host connected to.
//!
//! TLS is rustls; the trusted roots are the public ones (Mozilla's, built in) and those in
//! `sslrootcert`. Two differences from libpq follow from sqlx 0.8: a root in `sslrootcert`
//! is trusted beside the public roots, not instead of them, and `verify-ca` checks the host
//! name too (sqlx issue #3793, fixed after 0.8.6), so it is as strict as `verify-full`.

use std::str::FromStr;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgSslMode};

/// The connection options `url` names, with libpq's rule for `sslmode=require`.
pub fn connect_options(url: &str) -> anyhow::Result<PgConnectOptions> {
    let options =
        PgConnectOptions::from_str(url).context("the PostgreSQL URL could not be read")?;
    let root_named = url_names_root_certificate(url) || std::env::var_os("PGSSLROOTCERT").is_some();
    Ok(upgrade_require(options, root_named))
}

/// libpq: "if a root CA file exists, the behavior of `sslmode=require` will be the same as
/// that of `verify-ca`". A root certificate given is a root certificate to check against.
fn upgrade_require(options: PgConnectOptions, root_named: bool) -> PgConnectOptions {
    if root_named && matches!(options.get_ssl_mode(), PgSslMode::Require) {
        options.ssl_mode(PgSslMode::VerifyCa)
    } else {
        options
    }
}

/// Whether the URL's query names a root certificate (under any of sqlx's spellings).
fn url_names_root_certificate(url: &str) -> bool {
    let Some((_, query)) = url.split_once('?') else {
        return false;
    };
    query.split('&').any(|pair| {
        let key = pair.split_once('=').map_or(pair, |(key, _)| key);
        matches!(key, "sslrootcert" | "ssl-root-cert" | "ssl-ca")
    })
}

/// Where and how a connection goes, for an error message (no user, no password).
pub fn describe(options: &PgConnectOptions) -> String {
    let mode = mode_name(options.get_ssl_mode());
    match options.get_socket() {
        Some(socket) => format!("{} (sslmode={mode})", socket.display()),
        None => format!(
            "{}:{} (sslmode={mode})",
            options.get_host(),
            options.get_port()
        ),
    }
}

/// An `sslmode` as libpq spells it.
fn mode_name(mode: PgSslMode) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "postgres://bidroom:secret@db.internal:6432/bidroom";

    fn mode_of(url: &str) -> &'static str {
        let options = PgConnectOptions::from_str(url).unwrap();
        mode_name(upgrade_require(options, url_names_root_certificate(url)).get_ssl_mode())
    }

    #[test]
    fn require_with_a_root_certificate_checks_the_chain() {
        assert_eq!(
            mode_of(&format!("{BASE}?sslmode=require&sslrootcert=/etc/ca.pem")),
            "verify-ca"
        );
        assert_eq!(
            mode_of(&format!("{BASE}?ssl-ca=/etc/ca.pem&sslmode=require")),
            "verify-ca"
        );
    }

    #[test]
    fn require_without_a_root_certificate_stays_require() {
        assert_eq!(mode_of(&format!("{BASE}?sslmode=require")), "require");
    }

    #[test]
    fn the_other_modes_are_taken_as_written() {
        for mode in ["disable", "prefer", "verify-ca", "verify-full"] {
            let url = format!("{BASE}?sslmode={mode}&sslrootcert=/etc/ca.pem");
            assert_eq!(mode_of(&url), mode, "{url}");
        }
    }

    #[test]
    fn a_root_certificate_is_only_read_from_the_query() {
        assert!(!url_names_root_certificate(
            "postgres://sslrootcert@db.internal/sslrootcert"
        ));
        assert!(!url_names_root_certificate(&format!(
            "{BASE}?application_name=sslrootcert"
        )));
    }

    #[test]
    fn the_description_names_host_port_and_mode_but_no_credentials() {
        let options = PgConnectOptions::from_str(&format!("{BASE}?sslmode=verify-full")).unwrap();
        let described = describe(&options);
        assert_eq!(described, "db.internal:6432 (sslmode=verify-full)");
        assert!(!described.contains("secret"));
    }

    #[test]
    fn an_unknown_sslmode_is_refused() {
        let error = connect_options(&format!("{BASE}?sslmode=sometimes")).unwrap_err();
        assert!(format!("{error:#}").contains("sometimes"), "{error:#}");
    }
}
