//! The entry points of the fuzz targets in `fuzz/` and of the replay of their corpus
//! (`tests/fuzz_corpus.rs`): the functions the server itself reads client input with, and
//! nothing else. Not an API.

use axum::extract::ws::Message;
use bytes::Bytes;

use crate::realtime::protocol::{ClientMessage, Req};
use crate::realtime::session;

pub use crate::http::fuzzing::{Accepted, Body, check as check_rest_body};

/// A WebSocket frame as a session reads it: the message, or why it is not one and the
/// `req` to echo.
pub type Decoded = Result<ClientMessage, (String, Option<Req>)>;

/// A text frame (`bidroom.v1.json`).
pub fn decode_text_frame(text: &str) -> Decoded {
    session::decode(&Message::Text(text.into()))
}

/// A binary frame (`bidroom.v1.msgpack`).
pub fn decode_binary_frame(bytes: &[u8]) -> Decoded {
    session::decode(&Message::Binary(Bytes::copy_from_slice(bytes)))
}
