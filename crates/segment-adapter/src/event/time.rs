//! ISO-8601 timestamps as Segment clients send them, and the RFC 3339 form with
//! milliseconds that the server writes.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

/// Parses an ISO-8601 date-time: RFC 3339 with any offset, a date-time without an
/// offset (read as UTC), or a bare date (midnight UTC).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// `2024-05-01T10:00:00.000Z`: RFC 3339, UTC, milliseconds.
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn rfc3339_with_offset_is_converted_to_utc() {
        let t = parse_timestamp("2024-05-01T12:00:00.250+02:00").expect("valid");
        assert_eq!(format_timestamp(t), "2024-05-01T10:00:00.250Z");
    }

    #[test]
    fn date_time_without_offset_is_read_as_utc() {
        let t = parse_timestamp("2024-05-01T10:00:00").expect("valid");
        assert_eq!(t, Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).single().expect("valid"));
    }

    #[test]
    fn bare_date_is_midnight_utc() {
        let t = parse_timestamp("2024-05-01").expect("valid");
        assert_eq!(format_timestamp(t), "2024-05-01T00:00:00.000Z");
    }

    #[test]
    fn garbage_is_not_a_timestamp() {
        for text in ["", "yesterday", "2024-13-01", "1714557600", "2024-05-01T25:00:00Z"] {
            assert_eq!(parse_timestamp(text), None, "{text}");
        }
    }

    #[test]
    fn formatting_always_writes_milliseconds_and_z() {
        let t = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).single().expect("valid");
        assert_eq!(format_timestamp(t), "2024-05-01T10:00:00.000Z");
    }
}
