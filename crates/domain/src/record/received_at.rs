use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};

/// The mapped `received_at` of an event, before it is rendered for a batch assertion.
#[derive(Debug, Clone, PartialEq)]
pub enum ReceivedAt<'a> {
    /// A string: sent unchanged (the reference passes ISO strings through as is).
    Text(Cow<'a, str>),
    /// A number: Unix milliseconds, sent as an RFC 3339 UTC string with millisecond
    /// precision (deviation D5; the reference sends the digits).
    UnixMillis(f64),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReceivedAtError {
    #[error("received_at {0} is not a valid Unix time in milliseconds (out of range)")]
    OutOfRange(String),
}

impl<'a> ReceivedAt<'a> {
    /// The string sent as `received_at` (text is passed on without a copy); `now` is used
    /// when the event has none.
    pub fn render(this: Option<&Self>, now: DateTime<Utc>) -> Result<Cow<'a, str>, ReceivedAtError> {
        match this {
            Some(ReceivedAt::Text(s)) => Ok(s.clone()),
            Some(ReceivedAt::UnixMillis(ms)) => millis_to_rfc3339(*ms).map(Cow::Owned),
            None => Ok(Cow::Owned(format_rfc3339_millis(now))),
        }
    }
}

/// `Date.prototype.toISOString()`: `2024-05-24T10:00:00.000Z`.
pub fn format_rfc3339_millis(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// JavaScript's `new Date(ms)` accepts at most 8.64e15 ms either side of the epoch;
/// fractional milliseconds are truncated toward zero.
fn millis_to_rfc3339(ms: f64) -> Result<String, ReceivedAtError> {
    const LIMIT: f64 = 8.64e15;
    if !ms.is_finite() || ms.abs() > LIMIT {
        return Err(ReceivedAtError::OutOfRange(ryu_js::Buffer::new().format(ms).to_owned()));
    }
    let ms = ms.trunc() as i64;
    let t = DateTime::<Utc>::from_timestamp_millis(ms).ok_or_else(|| ReceivedAtError::OutOfRange(ms.to_string()))?;
    Ok(format_rfc3339_millis(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2030-01-02T03:04:05.678Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn iso_text_passes_through_unchanged() {
        let r = ReceivedAt::Text("2024-05-24T10:00:00Z".into());
        assert_eq!(ReceivedAt::render(Some(&r), now()).unwrap(), "2024-05-24T10:00:00Z");
    }

    #[test]
    fn numeric_received_at_is_sent_as_rfc3339_millis() {
        let r = ReceivedAt::UnixMillis(1716544800000.0);
        assert_eq!(ReceivedAt::render(Some(&r), now()).unwrap(), "2024-05-24T10:00:00.000Z");
    }

    #[test]
    fn missing_received_at_falls_back_to_now() {
        assert_eq!(ReceivedAt::render(None, now()).unwrap(), "2030-01-02T03:04:05.678Z");
    }

    #[test]
    fn out_of_range_millis_are_an_error() {
        assert!(ReceivedAt::render(Some(&ReceivedAt::UnixMillis(9e15)), now()).is_err());
    }
}
