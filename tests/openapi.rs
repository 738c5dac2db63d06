//! The OpenAPI document (`GET /api/v1/openapi.json`) against the router that serves the
//! API: every route mounted under `/api/v1` is in the document with each of its methods,
//! every operation in the document is mounted, and the document is valid OpenAPI 3.1.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Db, TestApp};
use reqwest::Method;
use serde_json::Value;

const API_PREFIX: &str = "/api/v1";

/// Every path the server's router mounts. axum has no API that lists routes; its `Debug`
/// output prints each path router's table (`paths: {RouteId(1): "/api/v1/lots", ...}`),
/// so the paths are read from there: the real router, not a list kept beside it.
fn mounted_paths() -> BTreeSet<String> {
    let (router, _) = bidroom::app::routes();
    let debug = format!("{router:?}");
    let paths: BTreeSet<String> = debug
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|text| text.starts_with('/'))
        .map(str::to_owned)
        .collect();
    // The reading must see the routes it is meant to see, or the test would pass on nothing.
    for known in ["/ws", "/api/v1/lots/{id}", "/api/v1/openapi.json"] {
        assert!(
            paths.contains(known),
            "{known} not found in the router's routes: {paths:?}"
        );
    }
    paths
}

/// The methods the running server answers on `path`: a request with a method no route
/// uses is refused with 405 and an `Allow` header before any handler runs.
async fn mounted_methods(app: &TestApp, path: &str) -> BTreeSet<String> {
    let concrete: String = path
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "1"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    let url = format!("{}{}", app.base_url.trim_end_matches(API_PREFIX), concrete);
    let probe = Method::from_bytes(b"PROBE").unwrap();
    let response = app.http.request(probe, &url).send().await.unwrap();
    assert_eq!(response.status(), 405, "{path}: a method no route uses");
    let allow = response
        .headers()
        .get("allow")
        .unwrap_or_else(|| panic!("{path}: a 405 names the allowed methods"))
        .to_str()
        .unwrap();
    allow
        .split(',')
        .map(|method| method.trim().to_ascii_lowercase())
        .filter(|method| !method.is_empty())
        // axum answers HEAD wherever it answers GET.
        .filter(|method| method != "head")
        .collect()
}

/// The document's operations: path → methods.
fn documented(document: &Value) -> BTreeMap<String, BTreeSet<String>> {
    document["paths"]
        .as_object()
        .expect("the document has paths")
        .iter()
        .map(|(path, item)| {
            let methods = item
                .as_object()
                .unwrap()
                .keys()
                .filter(|key| {
                    [
                        "get", "put", "post", "delete", "patch", "options", "head", "trace",
                    ]
                    .contains(&key.as_str())
                })
                .cloned()
                .collect();
            (path.clone(), methods)
        })
        .collect()
}

async fn served_document(app: &TestApp) -> Value {
    let response = app
        .http
        .get(format!("{}/openapi.json", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    response.json().await.unwrap()
}

// The document does not depend on the database: SQLite only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_under_the_api_is_documented_and_every_documented_route_is_mounted() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let document = served_document(&app).await;
    let documented = documented(&document);

    let mut missing = Vec::new();
    let mut mounted = BTreeMap::new();
    for path in mounted_paths() {
        if !path.starts_with(&format!("{API_PREFIX}/")) {
            continue;
        }
        let methods = mounted_methods(&app, &path).await;
        for method in &methods {
            if !documented
                .get(&path)
                .is_some_and(|ops| ops.contains(method))
            {
                missing.push(format!("{} {path}", method.to_uppercase()));
            }
        }
        mounted.insert(path, methods);
    }
    assert!(
        missing.is_empty(),
        "mounted but not in the OpenAPI document (mount it with `.routes(routes!(handler))` \
         and give the handler a #[utoipa::path]): {missing:?}"
    );

    let mut unmounted = Vec::new();
    for (path, methods) in &documented {
        for method in methods {
            if !mounted.get(path).is_some_and(|ops| ops.contains(method)) {
                unmounted.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    assert!(
        unmounted.is_empty(),
        "documented but not mounted: {unmounted:?}"
    );
    assert!(
        mounted.len() >= 30,
        "only {} API paths found",
        mounted.len()
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_is_the_routers_own_and_valid_openapi_3_1() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let document = served_document(&app).await;
    let (_, built) = bidroom::app::routes();
    assert_eq!(document, serde_json::to_value(&built).unwrap());

    let version = document["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "openapi is {version}");
    let parsed = oas3::from_json(document.to_string()).expect("a typed OpenAPI 3.1 document");
    parsed.validate_version().expect("a supported version");

    let mut problems = Vec::new();
    check_references(&document, &document, "#", &mut problems);
    check_operations(&document, &mut problems);
    check_no_numbers(&document, "#", &mut problems);
    assert!(problems.is_empty(), "{problems:#?}");
    app.stop().await;
}

/// Every `$ref` is a local JSON pointer that names something in the document.
fn check_references(document: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(reference) = map.get("$ref") {
                let reference = reference.as_str().unwrap_or_default();
                let resolved = reference
                    .strip_prefix('#')
                    .and_then(|pointer| document.pointer(pointer));
                if resolved.is_none() {
                    problems.push(format!("{at}: $ref {reference} resolves to nothing"));
                }
            }
            for (key, child) in map {
                check_references(document, child, &format!("{at}/{key}"), problems);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                check_references(document, child, &format!("{at}/{index}"), problems);
            }
        }
        _ => {}
    }
}

/// Every operation has its own `operationId`, answers something, declares each `{param}`
/// of its path, lists its error answers in the error shape, and names only security
/// schemes the document defines.
fn check_operations(document: &Value, problems: &mut Vec<String>) {
    let schemes = document["components"]["securitySchemes"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut operation_ids = BTreeMap::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        let template_params: BTreeSet<&str> = path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        for (method, operation) in item.as_object().unwrap() {
            let at = format!("{} {path}", method.to_uppercase());
            match operation["operationId"].as_str() {
                None => problems.push(format!("{at}: no operationId")),
                Some(id) => {
                    if let Some(other) = operation_ids.insert(id.to_owned(), at.clone()) {
                        problems.push(format!("{at}: operationId {id} is also {other}'s"));
                    }
                }
            }
            let responses = operation["responses"].as_object();
            if responses.is_none_or(|responses| responses.is_empty()) {
                problems.push(format!("{at}: no responses"));
            }
            for (status, response) in responses.into_iter().flatten() {
                let is_error = status.starts_with('4') || status.starts_with('5');
                let schema = &response["content"]["application/json"]["schema"]["$ref"];
                if is_error && schema != "#/components/schemas/ErrorBody" {
                    problems.push(format!("{at}: {status} is not the error shape"));
                }
                if response["description"].as_str().is_none_or(str::is_empty) {
                    problems.push(format!("{at}: {status} has no description"));
                }
            }
            let declared: BTreeSet<&str> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|parameter| parameter["in"] == "path")
                .filter_map(|parameter| parameter["name"].as_str())
                .collect();
            if declared != template_params {
                problems.push(format!(
                    "{at}: path parameters {declared:?}, the path has {template_params:?}"
                ));
            }
            for requirement in operation["security"].as_array().into_iter().flatten() {
                for scheme in requirement.as_object().unwrap().keys() {
                    if !schemes.contains_key(scheme) {
                        problems.push(format!("{at}: unknown security scheme {scheme}"));
                    }
                }
            }
        }
    }
}

/// No schema is a JSON number: amounts are decimal strings and nothing else is fractional.
fn check_no_numbers(value: &Value, at: &str, problems: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let is_number = |kind: &Value| kind == "number";
            let number = match map.get("type") {
                Some(Value::Array(kinds)) => kinds.iter().any(is_number),
                Some(kind) => is_number(kind),
                None => false,
            };
            if number {
                problems.push(format!("{at}: a JSON number"));
            }
            for (key, child) in map {
                check_no_numbers(child, &format!("{at}/{key}"), problems);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                check_no_numbers(child, &format!("{at}/{index}"), problems);
            }
        }
        _ => {}
    }
}

#[test]
fn money_is_a_decimal_string_with_an_example_and_times_are_rfc_3339_strings() {
    let (_, built) = bidroom::app::routes();
    let document = serde_json::to_value(&built).unwrap();
    let money = &document["components"]["schemas"]["Money"];
    assert_eq!(money["type"], "string");
    let pattern = money["pattern"].as_str().unwrap();
    assert_eq!(pattern, bidroom::money::MONEY_PATTERN);
    assert_eq!(money["examples"][0], "1250.00");
    // Ids are integers in place, not references to a schema named after a type alias.
    assert!(document["components"]["schemas"].get("i64").is_none());
    let time = &document["components"]["schemas"]["Rfc3339"];
    assert_eq!(time["type"], "string");
    assert_eq!(time["format"], "date-time");

    // A lot's amounts and times point at those schemas.
    let lot = &document["components"]["schemas"]["Lot"]["properties"];
    assert_eq!(lot["start_price"]["$ref"], "#/components/schemas/Money");
    assert_eq!(lot["starts_at"]["$ref"], "#/components/schemas/Rfc3339");
}
