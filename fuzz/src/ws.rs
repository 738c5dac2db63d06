//! WebSocket frames through the session's own reader (`bidroom::realtime::session::decode`):
//! JSON in text frames, MessagePack in binary frames.
//!
//! Rules checked: reading never panics; a message that is read holds only text SPEC §4 and
//! §8 allow (a `req` of at most 64 characters with no control character, an announcement
//! of 1 to 2000 characters, a reason of at most 500, neither with a control character but
//! newline and tab; a bid's amount, when it is one, greater than zero); the `req` echoed
//! with an error is one a client may send; a refusal blamed on a text is deserved (the same
//! message with a plain text in its place is read); and both encodings read the same
//! message the same.

use bidroom::fuzzing::{Decoded, decode_binary_frame, decode_text_frame};
use bidroom::money::Money;
use bidroom::realtime::protocol::{ClientMessage, Req};
use serde_json::Value;

/// The longest `req` (SPEC §4), announcement and reason (docs/protocol.md).
const MAX_REQ_CHARS: usize = 64;
const MAX_ANNOUNCEMENT_CHARS: usize = 2000;
const MAX_REASON_CHARS: usize = 500;

/// A text frame. tungstenite refuses a text frame that is not UTF-8 before the session
/// sees it, so only UTF-8 reaches the reader.
pub fn json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let decoded = decode_text_frame(text);
    check_decoded(&decoded);
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return;
    };
    if let Ok(message) = &decoded {
        let bytes = rmp_serde::to_vec_named(&value).expect("a JSON value is MessagePack");
        assert_same_message(message, &decode_binary_frame(&bytes), "MessagePack");
    }
    check_blame(&value);
}

/// A binary frame.
pub fn msgpack(data: &[u8]) {
    let decoded = decode_binary_frame(data);
    check_decoded(&decoded);
    let Ok(message) = &decoded else {
        return;
    };
    // The same message as JSON, where JSON can say it (string keys, no binary strings).
    let Ok(value) = rmp_serde::from_slice::<Value>(data) else {
        return;
    };
    let Ok(text) = serde_json::to_string(&value) else {
        return;
    };
    assert_same_message(message, &decode_text_frame(&text), "JSON");
}

fn check_decoded(decoded: &Decoded) {
    match decoded {
        Ok(message) => {
            if let Some(req) = message.req() {
                assert_valid_req(req);
            }
            match message {
                ClientMessage::Announce { text, .. } => assert!(
                    is_valid_announcement(text),
                    "an announcement that breaks the rules was read: {text:?}"
                ),
                ClientMessage::Pause(control)
                | ClientMessage::Resume(control)
                | ClientMessage::Cancel(control) => {
                    if let Some(reason) = &control.reason {
                        assert!(
                            is_valid_reason(reason),
                            "a reason that breaks the rules was read: {reason:?}"
                        );
                    }
                }
                ClientMessage::Bid { amount, .. } => {
                    if let Ok(amount) = amount.0 {
                        assert!(amount > Money::ZERO, "a bid of {amount} was read");
                    }
                }
                _ => {}
            }
        }
        Err((error, req)) => {
            assert!(!error.is_empty(), "a refusal says why");
            if let Some(req) = req {
                assert_valid_req(req);
            }
        }
    }
}

fn assert_valid_req(req: &Req) {
    assert!(
        req.0.chars().count() <= MAX_REQ_CHARS && !req.0.chars().any(char::is_control),
        "a req no client may send got through: {:?}",
        req.0
    );
}

fn is_valid_announcement(text: &str) -> bool {
    !text.trim().is_empty() && text.chars().count() <= MAX_ANNOUNCEMENT_CHARS && is_long_text(text)
}

fn is_valid_reason(reason: &str) -> bool {
    reason.chars().count() <= MAX_REASON_CHARS && is_long_text(reason)
}

/// No control character but newline and tab.
fn is_long_text(text: &str) -> bool {
    !text
        .chars()
        .any(|character| character.is_control() && !matches!(character, '\n' | '\t'))
}

/// The same bytes read in the other encoding: read too, and as the same message.
fn assert_same_message(message: &ClientMessage, other: &Decoded, encoding: &str) {
    // JSON has no NaN or infinity: a `t` that MessagePack sent as one is a null in a JSON
    // value, and a null optional field reads as an absent one.
    let shown =
        |message: &ClientMessage| format!("{message:?}").replace("t: Some(Null)", "t: None");
    match other {
        Ok(other) => assert_eq!(
            shown(message),
            shown(other),
            "the {encoding} encoding reads another message"
        ),
        Err((error, _)) => panic!("{message:?} is refused in {encoding}: {error}"),
    }
}

/// Whether a text is one a client may send in its field.
type TextRule = fn(&str) -> bool;

/// A message refused whose text (`text`, `reason` or `req`) was the only fault: that text
/// must break a rule. Found by putting a plain text in its place: if that is read, the
/// refusal was about the text. (Compared on the value as serde_json keeps it, so that a
/// duplicate key, which the value drops, cannot be the difference.)
fn check_blame(value: &Value) {
    let Some(object) = value.as_object() else {
        return;
    };
    let original = decode_text_frame(&value.to_string());
    if original.is_ok() {
        return;
    }
    let rules: [(&str, TextRule); 3] = [
        ("req", |req| {
            req.chars().count() <= MAX_REQ_CHARS && !req.chars().any(char::is_control)
        }),
        ("text", is_valid_announcement),
        ("reason", is_valid_reason),
    ];
    for (field, is_valid) in rules {
        let Some(Value::String(text)) = object.get(field) else {
            continue;
        };
        let mut plain = object.clone();
        plain.insert(field.to_owned(), Value::from("plain"));
        if decode_text_frame(&Value::Object(plain).to_string()).is_ok() {
            let (error, _) = original.as_ref().expect_err("refused above");
            assert!(
                !is_valid(text),
                "a valid {field} of {} characters was refused: {error}",
                text.chars().count()
            );
        }
    }
}
