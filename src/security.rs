//! Secrets: session tokens (opaque, random, stored only as a hash).

use rand::RngCore;
use sha2::{Digest, Sha256};

/// 32 random bytes, hex: 256 bits, far beyond guessing.
const TOKEN_BYTES: usize = 32;

/// A new session token and the hash under which it is stored.
pub fn new_session_token() -> (String, String) {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

/// The stored form of a token: SHA-256, hex. A stolen sessions table reveals no token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// SHA-256 of some bytes, hex (request fingerprints for idempotency, id numbers).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
