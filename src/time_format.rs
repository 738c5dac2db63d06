//! RFC 3339 times on the REST side (`"2026-11-23T08:00:00Z"`); milliseconds inside.

use chrono::{DateTime, SecondsFormat, Utc};

/// Formats epoch milliseconds as RFC 3339 in UTC (with milliseconds only when present).
pub fn to_rfc3339(ms: i64) -> String {
    let time = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
    let format = if ms % 1000 == 0 {
        SecondsFormat::Secs
    } else {
        SecondsFormat::Millis
    };
    time.to_rfc3339_opts(format, true)
}

/// Parses an RFC 3339 time into epoch milliseconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.timestamp_millis())
}

/// A time as the REST API writes it, for the OpenAPI document: fields kept as epoch
/// milliseconds and serialized through [`rfc3339`] say `#[schema(value_type = Rfc3339)]`.
pub struct Rfc3339;

impl utoipa::PartialSchema for Rfc3339 {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some(
                "An RFC 3339 time; answers are in UTC (`Z`), with milliseconds only when present.",
            ))
            .examples(["2026-11-23T08:00:00Z"])
            .into()
    }
}

impl utoipa::ToSchema for Rfc3339 {}

/// Serde adapters for `i64` milliseconds stored as RFC 3339 strings.
pub mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(ms: &i64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::to_rfc3339(*ms))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse_rfc3339(&text).ok_or_else(|| {
            serde::de::Error::custom("expected an RFC 3339 time such as \"2026-11-23T08:00:00Z\"")
        })
    }

    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(
            ms: &Option<i64>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match ms {
                Some(ms) => serializer.serialize_str(&super::super::to_rfc3339(*ms)),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<i64>, D::Error> {
            let text = Option::<String>::deserialize(deserializer)?;
            text.map(|text| {
                super::super::parse_rfc3339(&text).ok_or_else(|| {
                    serde::de::Error::custom(
                        "expected an RFC 3339 time such as \"2026-11-23T08:00:00Z\"",
                    )
                })
            })
            .transpose()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_seconds_print_without_fractions() {
        assert_eq!(to_rfc3339(1_795_420_800_000), "2026-11-23T08:00:00Z");
        assert_eq!(
            parse_rfc3339("2026-11-23T08:00:00Z"),
            Some(1_795_420_800_000)
        );
        assert_eq!(
            parse_rfc3339("2026-11-23T16:00:00+08:00"),
            Some(1_795_420_800_000)
        );
    }
}
