//! TLS to PostgreSQL: `sslmode` in the `postgres://` URL is honoured as libpq honours it.
//!
//! A connection made with `sslmode=require` is encrypted (PostgreSQL's own `pg_stat_ssl`
//! says so, for a connection of the server's pool and for one made with the same options);
//! `verify-full` against a root certificate that did not sign the server's is refused, and
//! so is `require` with such a root (libpq: a named root is checked). Skipped, with the
//! reason printed, only when the PostgreSQL server has no TLS at all (`ssl = off`).

mod common;

use sqlx::Connection;

use common::tls::TestCa;
use common::{Db, TestDatabase, postgres_admin_url};

/// Adds query parameters to a `postgres://` URL that has none.
fn with_query(url: &str, query: &str) -> String {
    assert!(!url.contains('?'), "{url} already has a query");
    format!("{url}?{query}")
}

async fn admin_connection() -> sqlx::PgConnection {
    let url = with_query(&postgres_admin_url(), "sslmode=disable");
    sqlx::PgConnection::connect(&url)
        .await
        .unwrap_or_else(|error| panic!("PostgreSQL must be running for the tests ({url}): {error}"))
}

/// Whether the server offers TLS; prints why the test is skipped when it does not.
async fn server_offers_tls(test: &str) -> bool {
    let mut admin = admin_connection().await;
    let ssl: String = sqlx::query_scalar("SHOW ssl")
        .fetch_one(&mut admin)
        .await
        .expect("SHOW ssl");
    if ssl != "on" {
        eprintln!(
            "skipped {test}: the PostgreSQL server at {} has ssl = {ssl}, so there is no TLS to test",
            postgres_admin_url()
        );
    }
    ssl == "on"
}

/// Whether this connection's own session is encrypted, as the server sees it.
async fn session_is_encrypted(connection: &mut sqlx::PgConnection) -> bool {
    sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(connection)
        .await
        .expect("read pg_stat_ssl")
}

async fn connect_with_bidrooms_options(url: &str) -> Result<sqlx::PgConnection, String> {
    let options = bidroom::storage::postgres::connect_options(url).map_err(|e| format!("{e:#}"))?;
    sqlx::PgConnection::connect_with(&options)
        .await
        .map_err(|error| error.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_made_with_sslmode_require_is_encrypted() {
    if !server_offers_tls("a_connection_made_with_sslmode_require_is_encrypted").await {
        return;
    }
    let database = TestDatabase::create(Db::Postgres).await;

    let mut required =
        connect_with_bidrooms_options(&with_query(database.url(), "sslmode=require"))
            .await
            .expect("connect with sslmode=require");
    assert!(session_is_encrypted(&mut required).await);
    // The control: the same question tells a plain connection apart.
    let mut plain = connect_with_bidrooms_options(&with_query(database.url(), "sslmode=disable"))
        .await
        .expect("connect with sslmode=disable");
    assert!(!session_is_encrypted(&mut plain).await);
    required.close().await.unwrap();
    plain.close().await.unwrap();

    // The store the server runs on: every connection of its pool (the one that applied the
    // migrations stays open in it) is encrypted.
    let store = bidroom::storage::connect(&with_query(database.url(), "sslmode=require"))
        .await
        .expect("the store connects with sslmode=require");
    let TestDatabase::Postgres { name, .. } = &database else {
        unreachable!("a PostgreSQL database")
    };
    let mut admin = admin_connection().await;
    let (connections, encrypted): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE s.ssl) \
         FROM pg_stat_activity a JOIN pg_stat_ssl s ON s.pid = a.pid WHERE a.datname = $1",
    )
    .bind(name)
    .fetch_one(&mut admin)
    .await
    .expect("read the store's sessions");
    assert!(connections >= 1, "the store holds a connection");
    assert_eq!(
        encrypted, connections,
        "every connection of the store is encrypted"
    );
    drop(store);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_certificate_that_did_not_sign_the_servers_is_refused() {
    if !server_offers_tls("a_root_certificate_that_did_not_sign_the_servers_is_refused").await {
        return;
    }
    let database = TestDatabase::create(Db::Postgres).await;
    let stranger = TestCa::new("a CA that never signed the PostgreSQL server's certificate");
    let root = stranger.root_file.display();

    for mode in ["verify-full", "verify-ca", "require"] {
        let url = with_query(
            database.url(),
            &format!("sslmode={mode}&sslrootcert={root}"),
        );
        let error = match bidroom::storage::connect(&url).await {
            Ok(_) => panic!("sslmode={mode} with a stranger's root certificate connected"),
            Err(error) => format!("{error:#}"),
        };
        let checked_as = if mode == "require" { "verify-ca" } else { mode };
        assert!(
            error.contains(&format!("sslmode={checked_as}")),
            "the error says how it connected: {error}"
        );
        assert!(
            error.contains("invalid peer certificate: UnknownIssuer"),
            "the error says the certificate was not trusted: {error}"
        );
        assert!(!error.contains("BEGIN CERTIFICATE"), "{error}");
    }
}

/// The positive case of the check above, where the server's certificate can be read: it is
/// self-signed for `localhost`, as Debian's snakeoil certificate is, and so its own root.
///
/// It also pins down what sqlx 0.8 does with `verify-ca`: with rustls 0.23.24 and later it
/// checks the host name as `verify-full` does (sqlx issue #3793, fixed after 0.8.6), so a
/// connection to 127.0.0.1 that the certificate does not name is refused. The README says
/// so; when sqlx is upgraded this part fails and the README is to be corrected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_own_certificate_as_root_is_accepted_by_verify_full() {
    let test = "the_servers_own_certificate_as_root_is_accepted_by_verify_full";
    if !server_offers_tls(test).await {
        return;
    }
    let mut admin = admin_connection().await;
    let certificate_file: String = sqlx::query_scalar("SHOW ssl_cert_file")
        .fetch_one(&mut admin)
        .await
        .expect("SHOW ssl_cert_file");
    let path = std::path::Path::new(&certificate_file);
    let path = if path.is_relative() {
        let data_directory: String = sqlx::query_scalar("SHOW data_directory")
            .fetch_one(&mut admin)
            .await
            .expect("SHOW data_directory");
        std::path::Path::new(&data_directory).join(path)
    } else {
        path.to_path_buf()
    };
    if std::fs::read(&path).is_err() {
        eprintln!(
            "skipped {test}: the server's certificate {} cannot be read here",
            path.display()
        );
        return;
    }
    let database = TestDatabase::create(Db::Postgres).await;
    let root = path.display();

    let url = with_query(
        database.url(),
        &format!("sslmode=verify-full&sslrootcert={root}"),
    );
    let options = bidroom::storage::postgres::connect_options(&url)
        .expect("the URL reads")
        .host("localhost");
    let mut verified = sqlx::PgConnection::connect_with(&options)
        .await
        .expect("verify-full to localhost with the server's own certificate as root");
    assert!(session_is_encrypted(&mut verified).await);
    verified.close().await.unwrap();

    let by_address = with_query(
        database.url(),
        &format!("sslmode=verify-ca&sslrootcert={root}"),
    );
    let options = bidroom::storage::postgres::connect_options(&by_address)
        .expect("the URL reads")
        .host("127.0.0.1");
    let refused = sqlx::PgConnection::connect_with(&options)
        .await
        .expect_err("sqlx 0.8's verify-ca checks the name: see this test's comment")
        .to_string();
    assert!(
        refused.contains("certificate not valid for name"),
        "{refused}"
    );
}
