mod common;

use common::{Db, TestApp, TestDatabase, test_config};

async fn the_server_answers_healthz(db: Db) {
    let app = TestApp::spawn(db).await;
    let (status, body) = app.get("/healthz", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    app.stop().await;
}
on_both_databases!(
    the_server_answers_healthz,
    super::the_server_answers_healthz
);

/// The key id numbers are hashed under is never a constant of the source: PostgreSQL needs
/// it configured, and the embedded SQLite default makes one beside its file and keeps it.
#[tokio::test]
async fn the_id_number_key_comes_from_configuration_or_beside_the_sqlite_file() {
    let database = TestDatabase::create(Db::Postgres).await;
    let mut config = test_config(database.url());
    config.id_number_key = None;
    let refused = bidroom::server::start(config).await;
    let message = refused.err().map(|error| error.to_string());
    assert!(
        message
            .as_deref()
            .is_some_and(|message| message.contains("--id-number-key")),
        "{message:?}"
    );

    let database = TestDatabase::create(Db::Sqlite).await;
    let key_file = format!(
        "{}.id-number-key",
        database.url().trim_start_matches("sqlite://")
    );
    let mut config = test_config(database.url());
    config.id_number_key = None;
    let app = TestApp::spawn_on(database, |_| config).await;
    let kept = std::fs::read_to_string(&key_file).expect("the key is kept beside the database");
    let database = app.stop_keeping_database().await;
    let mut config = test_config(database.url());
    config.id_number_key = None;
    let app = TestApp::spawn_on(database, |_| config).await;
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap(),
        kept,
        "the same key after a restart"
    );
    app.stop().await;
}
