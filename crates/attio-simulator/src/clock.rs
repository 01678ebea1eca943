//! Time formats: Attio's 9-digit `Z` timestamps and HTTP dates.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, SecondsFormat, Utc};

/// `2022-11-21T13:22:49.061281000Z`.
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

pub fn now_timestamp() -> String {
    format_timestamp(Utc::now())
}

/// The HTTP date of the start of the second `seconds_ahead` after the current one.
pub fn retry_after_date(seconds_ahead: u64) -> String {
    let now = SystemTime::now();
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(secs + seconds_ahead.max(1));
    httpdate::fmt_http_date(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_nine_fraction_digits_and_z() {
        let t = DateTime::parse_from_rfc3339("2022-11-21T13:22:49.061281Z")
            .expect("valid")
            .with_timezone(&Utc);
        assert_eq!(format_timestamp(t), "2022-11-21T13:22:49.061281000Z");
    }

    #[test]
    fn retry_after_is_a_future_http_date() {
        let d = httpdate::parse_http_date(&retry_after_date(1)).expect("http date");
        assert!(d > SystemTime::now() - Duration::from_secs(1));
        assert!(d <= SystemTime::now() + Duration::from_secs(1));
    }
}
