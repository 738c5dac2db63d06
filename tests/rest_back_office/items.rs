//! `GET` and `PUT /lots/{id}/items`: an item list from CSV or XLSX, all or nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Db, TestApp, in_secs};
use crate::on_both_databases;

/// Sends `file` as the body of `PUT /lots/{lot}/items`.
async fn upload(
    app: &TestApp,
    lot: i64,
    token: Option<&str>,
    file: Vec<u8>,
) -> (StatusCode, Value) {
    let mut request = app
        .http
        .put(format!("{}/lots/{lot}/items", app.base_url))
        .header("content-type", "text/csv")
        .body(file);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .expect("the request reaches the server");
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn workbook(rows: &[(&str, f64, &str)]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, header) in ["名称", "数量", "单位"].into_iter().enumerate() {
        sheet.write_string(0, column as u16, header).unwrap();
    }
    for (index, (name, quantity, unit)) in rows.iter().enumerate() {
        let row = index as u32 + 1;
        sheet.write_string(row, 0, *name).unwrap();
        sheet.write_number(row, 1, *quantity).unwrap();
        sheet.write_string(row, 2, *unit).unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

async fn an_auctioneer_imports_a_csv_list_and_anyone_reads_it(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("house").await;
    let lot = app
        .create_lot(&auctioneer.token, json!({ "starts_at": in_secs(3600) }))
        .await;
    let lot = lot["id"].as_i64().unwrap();

    let csv = "name,quantity,unit,notes\nExcavator,2,台,\"Komatsu PC200, 2019\"\n钢管,12.50,t,\n";
    let (status, body) = upload(&app, lot, Some(&auctioneer.token), csv.into()).await;
    assert_eq!(status, 200, "{body}");
    let expected = json!({
        "lot_id": lot,
        "items": [
            {"name": "Excavator", "quantity": "2", "unit": "台", "notes": "Komatsu PC200, 2019"},
            {"name": "钢管", "quantity": "12.5", "unit": "t", "notes": ""},
        ],
    });
    assert_eq!(body, expected);
    // A draft's list is its auctioneer's to see, like the draft itself.
    let path = format!("/lots/{lot}/items");
    assert_eq!(
        app.get(&path, Some(&auctioneer.token)).await,
        (StatusCode::OK, expected.clone())
    );
    assert_eq!(app.get(&path, None).await.0, 404);

    app.publish(&auctioneer.token, lot).await;
    assert_eq!(app.get(&path, None).await, (StatusCode::OK, expected));

    // A published lot before its start takes a new list, which replaces the old one whole.
    let bytes = workbook(&[("Forklift", 2.5, "台"), ("Crane", 1.0, "")]);
    let (status, body) = upload(&app, lot, Some(&auctioneer.token), bytes).await;
    assert_eq!(status, 200, "{body}");
    let (_, shown) = app.get(&path, None).await;
    assert_eq!(
        shown["items"],
        json!([
            {"name": "Forklift", "quantity": "2.5", "unit": "台", "notes": ""},
            {"name": "Crane", "quantity": "1", "unit": "", "notes": ""},
        ])
    );
    app.stop().await;
}
on_both_databases!(
    an_auctioneer_imports_a_csv_list_and_anyone_reads_it,
    super::an_auctioneer_imports_a_csv_list_and_anyone_reads_it
);

async fn a_file_with_bad_cells_is_refused_whole_naming_each_cell(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("house").await;
    let lot = app
        .published_lot(&auctioneer.token, json!({ "starts_at": in_secs(3600) }))
        .await;
    let good = "name,quantity\nDesk,3\n";
    assert_eq!(
        upload(&app, lot, Some(&auctioneer.token), good.into())
            .await
            .0,
        200
    );

    let long_notes = "n".repeat(1001);
    let bad = format!("name,quantity,colour,notes\n,1,,\nChair,-2,,\nLamp,1,,{long_notes}\n");
    let (status, body) = upload(&app, lot, Some(&auctioneer.token), bad.into()).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_input");
    let cells: Vec<(Value, Value, Value)> = body["error"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| {
            (
                error["row"].clone(),
                error["column"].clone(),
                error["field"].clone(),
            )
        })
        .collect();
    assert_eq!(
        cells,
        vec![
            (json!(1), json!("C"), Value::Null),
            (json!(2), json!("A"), json!("name")),
            (json!(3), json!("B"), json!("quantity")),
            (json!(4), json!("D"), json!("notes")),
        ]
    );
    assert_eq!(
        body["error"]["errors"][0]["message"],
        "unknown header \"colour\": the columns are name, quantity, unit and notes"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("the item list was refused: C1: unknown header"),
        "{body}"
    );

    // An XLSX with a bad cell is refused the same way, by its sheet's row and column.
    let bytes = workbook(&[("Forklift", 1.0, "台"), ("Crane", 0.0, "台")]);
    let (status, body) = upload(&app, lot, Some(&auctioneer.token), bytes).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["errors"][0]["row"], 3);
    assert_eq!(body["error"]["errors"][0]["column"], "B");

    // Nothing of either file was stored.
    let (_, shown) = app.get(&format!("/lots/{lot}/items"), None).await;
    assert_eq!(
        shown["items"],
        json!([{"name": "Desk", "quantity": "3", "unit": "", "notes": ""}])
    );
    app.stop().await;
}
on_both_databases!(
    a_file_with_bad_cells_is_refused_whole_naming_each_cell,
    super::a_file_with_bad_cells_is_refused_whole_naming_each_cell
);

async fn only_the_lots_auctioneer_uploads_and_only_before_the_start(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("house").await;
    let other = app.create_auctioneer("other-house").await;
    let bidder = app.signup_bidder("bidder").await;
    let lot = app
        .published_lot(&auctioneer.token, json!({ "starts_at": in_secs(2) }))
        .await;
    let csv = || b"name,quantity\nDesk,1\n".to_vec();

    assert_eq!(upload(&app, lot, None, csv()).await.0, 401);
    // Authorization comes before the body is looked at.
    assert_eq!(
        upload(&app, lot, Some(&bidder.token), b"\0".to_vec())
            .await
            .0,
        403
    );
    assert_eq!(upload(&app, lot, Some(&other.token), csv()).await.0, 403);
    assert_eq!(
        upload(&app, 9_999, Some(&auctioneer.token), csv()).await.0,
        404
    );
    let big = vec![b'a'; bidroom::limits::MAX_LOT_ITEMS_FILE_BYTES + 1];
    assert_eq!(upload(&app, lot, Some(&auctioneer.token), big).await.0, 413);
    assert_eq!(
        upload(&app, lot, Some(&auctioneer.token), csv()).await.0,
        200
    );

    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    let (status, body) = upload(&app, lot, Some(&auctioneer.token), csv()).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "items_locked");
    app.stop().await;
}
on_both_databases!(
    only_the_lots_auctioneer_uploads_and_only_before_the_start,
    super::only_the_lots_auctioneer_uploads_and_only_before_the_start
);
