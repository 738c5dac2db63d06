//! Secrets and personal data: session tokens (opaque, random, stored only as a hash),
//! passwords (argon2id), and identity numbers (checked, masked, and kept only as a keyed
//! hash).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::text::{TextKind, has_forbidden_character};

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

/// SHA-256 of some bytes, hex (request fingerprints for idempotency).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

// ---------------------------------------------------------------------------------------
// Passwords
// ---------------------------------------------------------------------------------------

/// 16 random bytes of salt, as the argon2 and PHC recommendations ask.
const SALT_BYTES: usize = 16;

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) of a password: argon2id with the
/// crate's default parameters (19 MiB, 2 passes, 1 lane, OWASP's recommended minimum).
///
/// CPU-bound for tens of milliseconds (much longer in a debug build): call it from
/// `tokio::task::spawn_blocking`, never on a runtime worker.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; SALT_BYTES];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|error| anyhow::anyhow!("failed to encode a password salt: {error}"))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|error| anyhow::anyhow!("failed to hash a password: {error}"))?;
    Ok(hash.to_string())
}

/// Password hashes running at once, at most: one per core. Each takes 19 MiB and a core
/// for tens of milliseconds; unbounded, a burst of 200 sign-ups took the server from 11 MB
/// to 3 GB of memory, and a burst of sign-ins is an easy way to exhaust it.
fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        tokio::sync::Semaphore::new(cores)
    })
}

/// [`hash_password`] on a blocking thread, at most one per core at a time.
pub async fn hash_password_in_pool(password: String) -> anyhow::Result<String> {
    let _permit = hashing_permits().acquire().await?;
    tokio::task::spawn_blocking(move || hash_password(&password)).await?
}

/// [`verify_password`] on a blocking thread, at most one per core at a time. Without a
/// stored hash (an unknown user) it checks a decoy, so that refusing takes as long.
pub async fn verify_password_in_pool(
    password: String,
    stored_hash: Option<String>,
) -> anyhow::Result<bool> {
    let _permit = hashing_permits().acquire().await?;
    let matches = tokio::task::spawn_blocking(move || {
        let hash = stored_hash
            .as_deref()
            .unwrap_or_else(|| decoy_password_hash());
        verify_password(&password, hash)
    });
    Ok(matches.await?)
}

/// Whether `password` matches the stored PHC string. A malformed stored hash matches
/// nothing.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored_hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .is_ok()
}

/// A valid argon2id hash of no one's password: signing in as an unknown user verifies
/// against it, so that an unknown username takes as long to refuse as a wrong password.
pub fn decoy_password_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        hash_password("no account has this password").expect("argon2 hashes with defaults")
    })
}

// ---------------------------------------------------------------------------------------
// Identity numbers (实名认证)
// ---------------------------------------------------------------------------------------

/// The key of the HMAC-SHA256 under which id numbers are stored (a pepper). The hash lets
/// staff find the same person registered twice without keeping the number; the key keeps
/// a stolen database from being reversed by hashing all ~10^11 plausible resident ids, so
/// it is kept apart from the database: it comes from configuration (`--id-number-key`), or,
/// on the embedded SQLite default, from a file beside the database file made at the first
/// start. It must stay the same across restarts (and across the nodes of one exchange) for
/// hashes to stay comparable.
#[derive(Clone)]
pub struct IdNumberKey(Arc<[u8]>);

/// The fewest characters a configured id-number key may have.
pub const MIN_ID_NUMBER_KEY_CHARS: usize = 32;

impl IdNumberKey {
    /// A configured key: at least [`MIN_ID_NUMBER_KEY_CHARS`] characters.
    pub fn configured(text: &str) -> anyhow::Result<IdNumberKey> {
        if text.chars().count() < MIN_ID_NUMBER_KEY_CHARS {
            anyhow::bail!(
                "the id-number key must be at least {MIN_ID_NUMBER_KEY_CHARS} characters (e.g. `openssl rand -hex 32`)"
            );
        }
        Ok(IdNumberKey(Arc::from(text.as_bytes())))
    }

    /// The key kept in the file at `path`, made (32 random bytes, hex, readable by its owner
    /// only) if there is none yet.
    pub fn kept_in(path: &Path) -> anyhow::Result<IdNumberKey> {
        match std::fs::read_to_string(path) {
            Ok(text) => IdNumberKey::configured(text.trim())
                .with_context(|| format!("the id-number key in {}", path.display())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = IdNumberKey::random_text();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options
                    .open(path)
                    .with_context(|| format!("failed to create {}", path.display()))?;
                std::io::Write::write_all(&mut file, format!("{key}\n").as_bytes())
                    .and_then(|()| file.sync_all())
                    .with_context(|| format!("failed to write {}", path.display()))?;
                tracing::info!(path = %path.display(), "made the id-number key");
                IdNumberKey::configured(&key)
            }
            Err(error) => Err(error).with_context(|| format!("failed to read {}", path.display())),
        }
    }

    /// A key for a database that lives only as long as the process (`sqlite::memory:`).
    pub fn ephemeral() -> IdNumberKey {
        IdNumberKey(Arc::from(IdNumberKey::random_text().as_bytes()))
    }

    fn random_text() -> String {
        hex::encode(rand::random::<[u8; 32]>())
    }

    /// The stored hash of an id number: HMAC-SHA256 under this key over
    /// `id_type:id_number` (normalised), hex.
    pub fn hash(&self, id_type: &str, id_number: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(id_type.as_bytes());
        mac.update(b":");
        mac.update(id_number.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

impl std::fmt::Debug for IdNumberKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("IdNumberKey(..)")
    }
}

/// The ISO 7064 MOD 11-2 weights of the 17 digits of a PRC resident id (GB 11643-1999).
const RESIDENT_ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder of the weighted sum modulo 11.
const RESIDENT_ID_CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// Why an identity number was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("a resident id has 18 characters: 17 digits and a check digit (0-9 or X)")]
    MalformedResidentId,
    #[error("the resident id's check digit is wrong")]
    WrongCheckDigit,
    #[error(
        "a unified social credit code has 18 characters of 0-9 and the capitals other than I, O, S, V and Z"
    )]
    MalformedCreditCode,
    #[error("the unified social credit code's check character is wrong")]
    WrongCheckCharacter,
    #[error("the id number must not be empty")]
    Empty,
    #[error("the id number is too long")]
    TooLong,
    #[error("the id number must not contain control characters")]
    ControlCharacter,
}

/// The longest id number of any type (passports ~9, business licence codes 18).
const MAX_ID_NUMBER_CHARS: usize = 64;

/// A PRC resident id (居民身份证号), validated and normalised (a lowercase `x` becomes `X`).
pub fn normalize_resident_id(text: &str) -> Result<String, IdNumberError> {
    let text = text.trim().to_ascii_uppercase();
    let bytes = text.as_bytes();
    let well_formed = bytes.len() == 18
        && bytes[..17].iter().all(u8::is_ascii_digit)
        && (bytes[17].is_ascii_digit() || bytes[17] == b'X');
    if !well_formed {
        return Err(IdNumberError::MalformedResidentId);
    }
    if bytes[17] != resident_id_check_char(&bytes[..17]) {
        return Err(IdNumberError::WrongCheckDigit);
    }
    Ok(text)
}

/// The check character of a resident id's first 17 digits.
fn resident_id_check_char(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .zip(RESIDENT_ID_WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    RESIDENT_ID_CHECK_CHARS[(sum % 11) as usize]
}

/// The characters of a unified social credit code (统一社会信用代码), in the order of their
/// values 0 to 30 (GB 32100-2015: the digits and the capitals without I, O, S, V and Z).
const CREDIT_CODE_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// The weights of a credit code's first 17 characters: 3^i mod 31 (GB 32100-2015).
const CREDIT_CODE_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// An organisation's unified social credit code, validated (its check character, GB
/// 32100-2015) and normalised (trimmed, capitals).
pub fn normalize_unified_social_credit_code(text: &str) -> Result<String, IdNumberError> {
    let text = text.trim().to_ascii_uppercase();
    let values: Option<Vec<u32>> = text.bytes().map(credit_code_value).collect();
    let Some(values) = values.filter(|values| values.len() == 18) else {
        return Err(IdNumberError::MalformedCreditCode);
    };
    if values[17] != credit_code_check_value(&values[..17]) {
        return Err(IdNumberError::WrongCheckCharacter);
    }
    Ok(text)
}

/// A credit code character's value, 0 to 30.
fn credit_code_value(character: u8) -> Option<u32> {
    CREDIT_CODE_CHARS
        .iter()
        .position(|&c| c == character)
        .map(|index| index as u32)
}

/// The value of the check character of a credit code's first 17 values:
/// 31 − (Σ value × weight mod 31), where 31 is written as 0.
fn credit_code_check_value(values: &[u32]) -> u32 {
    let sum: u32 = values
        .iter()
        .zip(CREDIT_CODE_WEIGHTS)
        .map(|(value, weight)| value * weight)
        .sum();
    (31 - sum % 31) % 31
}

/// An id number of another type (passport, business licence): trimmed, non-empty,
/// uppercase. Only resident ids carry a check digit bidroom can validate.
pub fn normalize_other_id(text: &str) -> Result<String, IdNumberError> {
    let text = text.trim().to_ascii_uppercase();
    if text.is_empty() {
        return Err(IdNumberError::Empty);
    }
    if text.chars().count() > MAX_ID_NUMBER_CHARS {
        return Err(IdNumberError::TooLong);
    }
    if has_forbidden_character(&text, TextKind::Line) {
        return Err(IdNumberError::ControlCharacter);
    }
    Ok(text)
}

/// What may be shown of an id number: the first 3 and last 4 characters of a long one
/// (`110***********002X`, as Chinese exchanges print them), the first and last of a short
/// one, nothing of one too short to hide anything.
pub fn mask_id_number(id_number: &str) -> String {
    let chars: Vec<char> = id_number.chars().collect();
    let (head, tail) = match chars.len() {
        10.. => (3, 4),
        5..=9 => (1, 1),
        _ => (0, 0),
    };
    chars
        .iter()
        .enumerate()
        .map(|(index, &c)| {
            if index < head || index >= chars.len() - tail {
                c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `rest_body` fuzz target: a passport number holding DEL (or any control
    /// character) was kept, masked and hashed, against SPEC §8.
    #[test]
    fn an_id_number_with_a_control_character_is_refused() {
        for text in ["E2469135*6\u{7f}", "E1234\u{0}5678", "E12\u{7}345678"] {
            assert_eq!(
                normalize_other_id(text),
                Err(IdNumberError::ControlCharacter),
                "{text:?}"
            );
        }
        assert_eq!(normalize_other_id(" e12345678 ").unwrap(), "E12345678");
    }

    #[test]
    fn a_resident_id_with_the_right_check_digit_is_accepted() {
        assert_eq!(
            normalize_resident_id("11010519491231002X"),
            Ok("11010519491231002X".to_owned())
        );
        assert_eq!(
            normalize_resident_id(" 11010519491231002x "),
            Ok("11010519491231002X".to_owned())
        );
        assert_eq!(
            normalize_resident_id("440524188001010014"),
            Ok("440524188001010014".to_owned())
        );
    }

    #[test]
    fn a_resident_id_with_a_wrong_check_digit_is_refused() {
        assert_eq!(
            normalize_resident_id("110105194912310021"),
            Err(IdNumberError::WrongCheckDigit)
        );
        assert_eq!(
            normalize_resident_id("440524188001010015"),
            Err(IdNumberError::WrongCheckDigit)
        );
    }

    #[test]
    fn a_resident_id_of_the_wrong_shape_is_refused() {
        for text in [
            "",
            "1101051949123100",
            "11010519491231002XX",
            "1101051949123100AX",
        ] {
            assert_eq!(
                normalize_resident_id(text),
                Err(IdNumberError::MalformedResidentId),
                "{text:?}"
            );
        }
    }

    /// Codes of real companies, as printed on their business licences.
    const REAL_CREDIT_CODES: [&str; 6] = [
        "91350100M000100Y43",
        "9144030071526726XG",
        "914403001922038216",
        "91330100799655058B",
        "91110108551385082Q",
        "91110000802100433B",
    ];

    #[test]
    fn a_real_unified_social_credit_code_is_accepted() {
        for code in REAL_CREDIT_CODES {
            assert_eq!(
                normalize_unified_social_credit_code(code).as_deref(),
                Ok(code)
            );
        }
        assert_eq!(
            normalize_unified_social_credit_code(" 9144030071526726xg ").as_deref(),
            Ok("9144030071526726XG")
        );
    }

    #[test]
    fn every_single_character_error_in_a_credit_code_is_caught() {
        for code in REAL_CREDIT_CODES {
            for position in 0..18 {
                for &replacement in CREDIT_CODE_CHARS {
                    let mut changed = code.as_bytes().to_vec();
                    if changed[position] == replacement {
                        continue;
                    }
                    changed[position] = replacement;
                    let changed = String::from_utf8(changed).unwrap();
                    assert_eq!(
                        normalize_unified_social_credit_code(&changed),
                        Err(IdNumberError::WrongCheckCharacter),
                        "{changed}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_credit_code_of_the_wrong_shape_is_refused() {
        for text in [
            "",
            "9144030071526726X",
            "9144030071526726XGG",
            "9144030071526726IG",
            "9144030071526726OG",
            "91440300715267 6XG",
            "９144030071526726XG",
        ] {
            assert_eq!(
                normalize_unified_social_credit_code(text),
                Err(IdNumberError::MalformedCreditCode),
                "{text:?}"
            );
        }
    }

    #[test]
    fn masking_keeps_the_first_three_and_last_four_of_a_long_number() {
        assert_eq!(mask_id_number("11010519491231002X"), "110***********002X");
        assert_eq!(mask_id_number("E12345678"), "E*******8");
        assert_eq!(mask_id_number("1234"), "****");
    }

    #[test]
    fn a_masked_number_never_reveals_the_middle() {
        let masked = mask_id_number("11010519491231002X");
        assert!(!masked.contains("19491231"));
        assert_eq!(masked.chars().count(), 18);
    }

    #[test]
    fn id_hashes_are_keyed_by_type_and_key_and_stable() {
        let key = IdNumberKey::configured(&"k".repeat(MIN_ID_NUMBER_KEY_CHARS)).unwrap();
        let hash = key.hash("resident_id", "11010519491231002X");
        assert_eq!(hash, key.hash("resident_id", "11010519491231002X"));
        assert_ne!(hash, key.hash("passport", "11010519491231002X"));
        assert_ne!(
            hash,
            IdNumberKey::ephemeral().hash("resident_id", "11010519491231002X")
        );
        assert_ne!(hash, sha256_hex(b"11010519491231002X"));
        assert!(IdNumberKey::configured("too short").is_err());
    }

    #[test]
    fn a_kept_key_is_made_once_readable_by_its_owner_only_and_read_back() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("bidroom.db.id-number-key");
        let made = IdNumberKey::kept_in(&path).unwrap();
        let read = IdNumberKey::kept_in(&path).unwrap();
        assert_eq!(made.hash("resident_id", "x"), read.hash("resident_id", "x"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }
}
