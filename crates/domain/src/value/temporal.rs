//! Date and timestamp values, from the ISO 8601 forms Attio accepts.
//!
//! Accepted: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, optionally followed (after `T`, `t` or a space)
//! by `HH:MM`, `HH:MM:SS` and a fraction of a second (`.` or `,`, any number of digits, kept to
//! the nanosecond), and then a zone: `Z`, `±HH:MM`, `±HHMM` or `±HH`. Years have four digits.
//! A missing zone means UTC. Leap seconds and `24:00` are refused.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use serde_json::Value;

use super::error::ValueProblem;
use super::json_form::{unwrap_value_form, wrong_type};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemporalError {
    #[error("it is empty")]
    Empty,
    #[error("expected ISO 8601 such as 2023-01-02 or 2023-01-02T13:00:00Z")]
    Format,
    #[error("{field} {value} is out of range")]
    OutOfRange { field: &'static str, value: u32 },
    #[error("{0} is not a day of the calendar")]
    NoSuchDay(String),
    #[error("it falls outside the years 0000 to 9999 in UTC")]
    OutOfYearRange,
}

/// The parts of an ISO 8601 date or date-time.
struct Parts {
    date: NaiveDate,
    time: Option<NaiveTime>,
    /// East of UTC, in seconds.
    offset: Option<i32>,
}

/// Reads exactly `n` ASCII digits.
fn digits(s: &mut &[u8], n: usize) -> Result<u32, TemporalError> {
    if s.len() < n || !s[..n].iter().all(u8::is_ascii_digit) {
        return Err(TemporalError::Format);
    }
    let v = s[..n].iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    *s = &s[n..];
    Ok(v)
}

fn eat(s: &mut &[u8], c: u8) -> bool {
    if s.first() == Some(&c) {
        *s = &s[1..];
        true
    } else {
        false
    }
}

fn in_range(field: &'static str, value: u32, max: u32) -> Result<u32, TemporalError> {
    if value > max {
        Err(TemporalError::OutOfRange { field, value })
    } else {
        Ok(value)
    }
}

fn parse_parts(text: &str) -> Result<Parts, TemporalError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(TemporalError::Empty);
    }
    let mut s = text.as_bytes();
    let year = digits(&mut s, 4)?;
    let (mut month, mut day) = (1, 1);
    let mut full_date = false;
    if eat(&mut s, b'-') {
        month = digits(&mut s, 2)?;
        if eat(&mut s, b'-') {
            day = digits(&mut s, 2)?;
            full_date = true;
        }
    }
    if !(1..=12).contains(&month) {
        return Err(TemporalError::OutOfRange {
            field: "month",
            value: month,
        });
    }
    // A four-digit year, so the conversion cannot overflow.
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)
        .ok_or_else(|| TemporalError::NoSuchDay(format!("{year:04}-{month:02}-{day:02}")))?;
    if s.is_empty() {
        return Ok(Parts {
            date,
            time: None,
            offset: None,
        });
    }
    if !full_date || !matches!(s[0], b'T' | b't' | b' ') {
        return Err(TemporalError::Format);
    }
    s = &s[1..];
    let hour = in_range("hour", digits(&mut s, 2)?, 23)?;
    if !eat(&mut s, b':') {
        return Err(TemporalError::Format);
    }
    let minute = in_range("minute", digits(&mut s, 2)?, 59)?;
    let (mut second, mut nanos) = (0, 0);
    if eat(&mut s, b':') {
        second = in_range("second", digits(&mut s, 2)?, 59)?;
        if eat(&mut s, b'.') || eat(&mut s, b',') {
            let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
            if n == 0 {
                return Err(TemporalError::Format);
            }
            for i in 0..9 {
                nanos = nanos * 10 + s.get(i).filter(|_| i < n).map_or(0, |d| u32::from(d - b'0'));
            }
            s = &s[n..];
        }
    }
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos).ok_or(TemporalError::Format)?;
    let offset = parse_zone(s)?;
    Ok(Parts {
        date,
        time: Some(time),
        offset,
    })
}

/// `Z`, `±HH:MM`, `±HHMM`, `±HH`, or nothing.
fn parse_zone(mut s: &[u8]) -> Result<Option<i32>, TemporalError> {
    if s.is_empty() {
        return Ok(None);
    }
    if s == b"Z" || s == b"z" {
        return Ok(Some(0));
    }
    let sign = match s[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return Err(TemporalError::Format),
    };
    s = &s[1..];
    let hours = in_range("offset hour", digits(&mut s, 2)?, 23)?;
    let minutes = if s.is_empty() {
        0
    } else {
        eat(&mut s, b':');
        in_range("offset minute", digits(&mut s, 2)?, 59)?
    };
    if !s.is_empty() {
        return Err(TemporalError::Format);
    }
    // At most 23:59, well inside i32.
    Ok(Some(sign * (hours * 3600 + minutes * 60) as i32))
}

/// The UTC date-time the parts name (midnight when no time is given).
fn to_utc(parts: &Parts) -> Result<NaiveDateTime, TemporalError> {
    let local = parts.date.and_time(parts.time.unwrap_or(NaiveTime::MIN));
    let utc = local
        .checked_sub_signed(Duration::seconds(i64::from(parts.offset.unwrap_or(0))))
        .ok_or(TemporalError::OutOfYearRange)?;
    if (0..=9999).contains(&utc.year()) {
        Ok(utc)
    } else {
        Err(TemporalError::OutOfYearRange)
    }
}

/// Parses a date: `2023` and `2023-01` mean the first day; a date-time is converted to UTC
/// when it has a zone, and then its time is dropped.
pub fn parse_date(text: &str) -> Result<NaiveDate, TemporalError> {
    Ok(to_utc(&parse_parts(text)?)?.date())
}

/// A moment in UTC with nanosecond precision, within the years 0000 to 9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Parses any of the accepted ISO 8601 forms; no zone means UTC.
    pub fn parse(text: &str) -> Result<Self, TemporalError> {
        Ok(Self(to_utc(&parse_parts(text)?)?.and_utc()))
    }

    pub fn from_datetime(at: DateTime<Utc>) -> Result<Self, TemporalError> {
        if (0..=9999).contains(&at.year()) {
            Ok(Self(at))
        } else {
            Err(TemporalError::OutOfYearRange)
        }
    }

    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }
}

/// Attio's form: `2023-01-02T13:00:00.000000000Z`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.nanosecond()
        )
    }
}

/// `"YYYY-MM-DD"` in Attio's form.
pub fn format_date(date: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}

fn text_of(v: &Value) -> Result<&str, ValueProblem> {
    match unwrap_value_form(v)? {
        Value::String(s) => Ok(s),
        other => Err(wrong_type(other, "an ISO 8601 string or {\"value\": string}")),
    }
}

pub(super) fn date_from_json(v: &Value) -> Result<NaiveDate, ValueProblem> {
    parse_date(text_of(v)?).map_err(ValueProblem::Date)
}

pub(super) fn timestamp_from_json(v: &Value) -> Result<Timestamp, ValueProblem> {
    Timestamp::parse(text_of(v)?).map_err(ValueProblem::Timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn date(s: &str) -> String {
        parse_date(s).map(format_date).unwrap_or_else(|e| format!("error: {e}"))
    }

    fn ts(s: &str) -> String {
        Timestamp::parse(s)
            .map(|t| t.to_string())
            .unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn dates_are_coerced_as_attio_documents() {
        assert_eq!(date("2023-11-24"), "2023-11-24");
        assert_eq!(date("2023"), "2023-01-01");
        assert_eq!(date("2023-01"), "2023-01-01");
        assert_eq!(date("2023-01-02T13:00"), "2023-01-02");
        assert_eq!(date("2023-01-02T15:00:00.000000000+02:00"), "2023-01-02");
        assert_eq!(date("2023-01-02T23:00:00-10:00"), "2023-01-03");
        assert_eq!(date("9999-12-31"), "9999-12-31");
    }

    #[test]
    fn bad_dates_say_why() {
        assert_eq!(date("2023-02-30"), "error: 2023-02-30 is not a day of the calendar");
        assert_eq!(date("2023-13"), "error: month 13 is out of range");
        assert_eq!(
            date("9999-12-31T23:00:00-10:00"),
            "error: it falls outside the years 0000 to 9999 in UTC"
        );
        assert_eq!(date(""), "error: it is empty");
        for bad in [
            "23-01-02",
            "2023/01/02",
            "tomorrow",
            "2023-1-2",
            "20230102",
            "2023T10:00",
            "2023-01-02T25:00",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timestamps_render_with_nine_fraction_digits_in_utc() {
        assert_eq!(ts("2023"), "2023-01-01T00:00:00.000000000Z");
        assert_eq!(ts("2023-01-02T13:00"), "2023-01-02T13:00:00.000000000Z");
        assert_eq!(
            ts("2023-01-02T13:00:00.000000000+02:00"),
            "2023-01-02T11:00:00.000000000Z"
        );
        assert_eq!(ts("2022-11-21 13:22:49.061281Z"), "2022-11-21T13:22:49.061281000Z");
        assert_eq!(
            ts("2022-11-21T13:22:49,1234567891234-0530"),
            "2022-11-21T18:52:49.123456789Z"
        );
        assert_eq!(ts("2022-11-21T13:22:49+01"), "2022-11-21T12:22:49.000000000Z");
        assert_eq!(ts("9999-12-31T23:59:59.999999999Z"), "9999-12-31T23:59:59.999999999Z");
    }

    #[test]
    fn bad_timestamps_are_refused() {
        assert_eq!(ts("2023-01-02T13:60"), "error: minute 60 is out of range");
        assert_eq!(ts("2023-01-02T13:00:60"), "error: second 60 is out of range");
        assert_eq!(
            ts("0000-01-01T00:00:00+01:00"),
            "error: it falls outside the years 0000 to 9999 in UTC"
        );
        for bad in [
            "2023-01-02T13",
            "2023-01-02T13:00:00.",
            "2023-01-02T13:00Zx",
            "2023-01-02T13:00+2",
            "now",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_forms_are_bare_strings_or_value_objects() {
        assert_eq!(
            date_from_json(&json!({"value": "2024-02-29"})).map(format_date),
            Ok("2024-02-29".into())
        );
        assert_eq!(
            date_from_json(&json!(20240229)).unwrap_err().to_string(),
            "is a number, expected an ISO 8601 string or {\"value\": string}"
        );
        assert_eq!(
            timestamp_from_json(&json!("soon")).unwrap_err().to_string(),
            "is not a valid timestamp: expected ISO 8601 such as 2023-01-02 or 2023-01-02T13:00:00Z"
        );
    }
}
