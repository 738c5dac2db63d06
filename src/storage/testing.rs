//! Fresh stores for unit tests: a temporary SQLite file, or a new PostgreSQL database
//! (`BIDROOM_TEST_POSTGRES_URL`, default the local server) dropped afterwards.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

use super::Store;

/// A store on a database made for one test; `finish` removes the database.
pub struct TestStore {
    pub store: Arc<dyn Store>,
    cleanup: Cleanup,
}

enum Cleanup {
    Directory(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestStore {
    pub async fn sqlite() -> TestStore {
        let directory = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", directory.path().join("test.db").display());
        let store = super::connect(&url).await.expect("the SQLite store opens");
        TestStore {
            store,
            cleanup: Cleanup::Directory(directory),
        }
    }

    pub async fn postgres() -> TestStore {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let admin_url = std::env::var("BIDROOM_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!(
            "bidroom_unit_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("PostgreSQL is reachable");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("a test database");
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base);
        let store = super::connect(&format!("{base}/{name}"))
            .await
            .expect("the PostgreSQL store opens");
        TestStore {
            store,
            cleanup: Cleanup::Postgres { admin_url, name },
        }
    }

    pub async fn finish(self) {
        let TestStore { store, cleanup } = self;
        drop(store);
        if let Cleanup::Postgres { admin_url, name } = cleanup {
            let mut admin = sqlx::PgConnection::connect(&admin_url)
                .await
                .expect("PostgreSQL is reachable");
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .await
                .expect("the test database drops");
        }
    }
}
