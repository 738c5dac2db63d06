//! The query parameters every list route shares: `?limit=` and `?before=`.

use super::ApiError;

/// A `?limit=`: a whole number from 1 to `max`, `default` when absent.
pub(super) fn limit(text: Option<&str>, default: u32, max: u32) -> Result<u32, ApiError> {
    let Some(text) = text else {
        return Ok(default);
    };
    text.parse::<u32>()
        .ok()
        .filter(|limit| (1..=max).contains(limit))
        .ok_or_else(|| ApiError::invalid(format!("limit is a whole number from 1 to {max}")))
}

/// An id in the query (`?before=`, `?lot_id=`): a positive whole number.
pub(super) fn positive(name: &str, text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|value| *value > 0)
        .ok_or_else(|| ApiError::invalid(format!("{name} is a positive whole number")))
}
