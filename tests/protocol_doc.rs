//! `docs/protocol.md` stays true: each example's JSON and MessagePack hex dump are the same
//! message, and every client message decodes as the server reads it. The examples are
//! printed by `cargo run --example protocol_examples` from the wire types themselves.

use bidroom::realtime::protocol::{ClientMessage, Encoding};
use serde_json::Value;

const CLIENT_TYPES: [&str; 9] = [
    "auth", "join", "leave", "bid", "ping", "pause", "resume", "cancel", "announce",
];

/// One example: its JSON, its MessagePack bytes, and whether a client sends it.
struct Example {
    json: String,
    msgpack: Vec<u8>,
    from_client: bool,
}

/// The examples of the document's "both encodings" section: the client's messages first,
/// then (from "Answers to one client" on) the server's.
fn examples() -> Vec<Example> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/protocol.md");
    let document = std::fs::read_to_string(path).expect("docs/protocol.md");
    let (_, section) = document
        .split_once("## Every message, in both encodings")
        .expect("the examples section");
    let (client, server) = section
        .split_once("### Answers to one client")
        .expect("client messages, then the server's");
    let mut examples = examples_in(client, true);
    examples.extend(examples_in(server, false));
    examples
}

fn examples_in(text: &str, from_client: bool) -> Vec<Example> {
    let blocks: Vec<&str> = text.split("```").skip(1).step_by(2).collect();
    blocks
        .chunks(2)
        .map(|pair| {
            let json = pair[0].strip_prefix("json\n").expect("a JSON block first");
            let hex: String = pair[1]
                .strip_prefix("text\n")
                .expect("a hex dump after it")
                .split_whitespace()
                .collect();
            Example {
                json: json.trim().to_owned(),
                msgpack: hex::decode(hex).expect("a hex dump"),
                from_client,
            }
        })
        .collect()
}

#[test]
fn every_example_is_the_same_message_in_json_and_messagepack() {
    let examples = examples();
    assert!(examples.len() >= 25, "only {} examples", examples.len());
    let mut client_types = std::collections::BTreeSet::new();
    for example in examples {
        let json = &example.json;
        let from_json: Value =
            serde_json::from_str(json).unwrap_or_else(|error| panic!("{json}: {error}"));
        let from_msgpack: Value = rmp_serde::from_slice(&example.msgpack).unwrap();
        assert_eq!(from_json, from_msgpack, "{json}");
        let kind = from_json["type"]
            .as_str()
            .expect("every message has a type");
        if example.from_client {
            assert!(CLIENT_TYPES.contains(&kind), "{json}");
            client_types.insert(kind.to_owned());
            Encoding::Json
                .decode::<ClientMessage>(json.as_bytes())
                .unwrap_or_else(|error| panic!("{json}: {error}"));
            Encoding::MessagePack
                .decode::<ClientMessage>(&example.msgpack)
                .unwrap_or_else(|error| panic!("{json}: {error}"));
        }
    }
    assert_eq!(client_types.len(), CLIENT_TYPES.len(), "{client_types:?}");
}
