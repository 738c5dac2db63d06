mod common;

use common::{Db, TestApp};

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
