//! text, number, checkbox, currency, date, timestamp, rating.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use super::{one_field, unwrap_field};
use crate::simulator::api_error::ApiError;
use crate::simulator::clock::format_timestamp;
use crate::simulator::schema::AttributeDef;

const MAX_TEXT_BYTES: usize = 10 * 1024 * 1024;

fn bad(attr: &AttributeDef, reason: &str) -> ApiError {
    ApiError::invalid_value_because(&attr.slug, reason)
}

pub fn text(attr: &AttributeDef, v: &Value) -> Result<Map<String, Value>, ApiError> {
    match unwrap_field(v, "value") {
        Value::String(s) if s.len() <= MAX_TEXT_BYTES => Ok(one_field("value", Value::String(s.clone()))),
        Value::String(_) => Err(bad(attr, "text values are limited to 10 MB.")),
        _ => Err(bad(attr, "expected a string.")),
    }
}

pub fn number(attr: &AttributeDef, v: &Value) -> Result<Map<String, Value>, ApiError> {
    match unwrap_field(v, "value") {
        Value::Number(n) => Ok(one_field("value", Value::Number(n.clone()))),
        _ => Err(bad(attr, "expected a number.")),
    }
}

pub fn checkbox(attr: &AttributeDef, v: &Value) -> Result<Map<String, Value>, ApiError> {
    let b = match unwrap_field(v, "value") {
        Value::Bool(b) => *b,
        Value::String(s) if s == "true" => true,
        Value::String(s) if s == "false" => false,
        _ => return Err(bad(attr, "expected true or false.")),
    };
    Ok(one_field("value", Value::Bool(b)))
}

fn decimals_ok(text: &str) -> bool {
    text.split_once('.').map_or(true, |(_, frac)| {
        frac.trim_end_matches('0').len() <= 4 && !frac.contains(['e', 'E'])
    })
}

pub fn currency(attr: &AttributeDef, v: &Value) -> Result<Map<String, Value>, ApiError> {
    let raw = unwrap_field(v, "currency_value");
    let (n, text) = match raw {
        Value::Number(n) => (n.as_f64(), n.to_string()),
        Value::String(s) => (s.trim().parse::<f64>().ok(), s.trim().to_owned()),
        _ => (None, String::new()),
    };
    let n = n
        .filter(|n| n.is_finite())
        .ok_or_else(|| bad(attr, "expected a number."))?;
    if !decimals_ok(&text) {
        return Err(bad(attr, "currency values have at most 4 decimal places."));
    }
    let mut m = Map::new();
    let num = serde_json::Number::from_f64(n).ok_or_else(|| bad(attr, "expected a finite number."))?;
    m.insert("currency_value".into(), Value::Number(num));
    m.insert(
        "currency_code".into(),
        attr.default_currency_code.clone().map_or(Value::Null, Value::String),
    );
    Ok(m)
}

/// A parsed date or date-time, keeping whether a zone was given.
enum Instant {
    Date(NaiveDate),
    Local(NaiveDateTime),
    Zoned(DateTime<Utc>),
}

fn parse_instant(s: &str) -> Option<Instant> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(Instant::Zoned(t.with_timezone(&Utc)));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Some(Instant::Zoned(t.with_timezone(&Utc)));
        }
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(Instant::Local(t));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(Instant::Date(d));
    }
    if s.len() == 7 {
        if let Ok(d) = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d") {
            return Some(Instant::Date(d));
        }
    }
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(&format!("{s}-01-01"), "%Y-%m-%d")
            .ok()
            .map(Instant::Date);
    }
    None
}

fn string_of<'v>(attr: &AttributeDef, v: &'v Value) -> Result<&'v str, ApiError> {
    unwrap_field(v, "value")
        .as_str()
        .ok_or_else(|| bad(attr, "expected an ISO 8601 string."))
}

pub fn date(attr: &AttributeDef, v: &Value) -> Result<Map<String, Value>, ApiError> {
    let s = string_of(attr, v)?;
    let d = match parse_instant(s.trim()) {
        Some(Instant::Date(d)) => d,
        Some(Instant::Local(t)) => t.date(),
        Some(Instant::Zoned(t)) => t.date_naive(),
        None => return Err(bad(attr, "expected a date like 2023-11-24.")),
    };
    if d.year() > 9999 || d.year() < 1 {
        return Err(bad(attr, "dates range from 0001-01-01 to 9999-12-31."));
    }
    Ok(one_field("value", Value::String(d.format("%Y-%m-%d").to_string())))
}

pub fn timestamp(attr: &AttributeDef, v: &Value) -> Result<Map<String, Value>, ApiError> {
    let s = string_of(attr, v)?;
    let t = match parse_instant(s.trim()) {
        Some(Instant::Date(d)) => d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()),
        Some(Instant::Local(t)) => Some(t.and_utc()),
        Some(Instant::Zoned(t)) => Some(t),
        None => None,
    }
    .ok_or_else(|| bad(attr, "expected an ISO 8601 timestamp."))?;
    if t.year() > 9999 || t.year() < 1 {
        return Err(bad(attr, "timestamps range up to 9999-12-31T23:59:59.999999999Z."));
    }
    Ok(one_field("value", Value::String(format_timestamp(t))))
}

pub fn rating(attr: &AttributeDef, v: &Value) -> Result<Map<String, Value>, ApiError> {
    match unwrap_field(v, "value").as_u64() {
        Some(n) if n <= 5 => Ok(one_field("value", Value::from(n))),
        _ => Err(bad(attr, "ratings are integers from 0 to 5.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::schema::Schema;
    use serde_json::json;

    fn attr(object: &str, slug: &str) -> AttributeDef {
        let s = Schema::build(None, &[]).expect("schema");
        s.object(object).and_then(|o| o.attribute(slug)).cloned().expect("attr")
    }

    #[test]
    fn dates_are_coerced_like_attio() {
        let a = attr("companies", "foundation_date");
        for (input, want) in [
            ("2023", "2023-01-01"),
            ("2023-01", "2023-01-01"),
            ("2023-11-24", "2023-11-24"),
            ("2023-01-02T23:00:00-10:00", "2023-01-03"),
            ("2023-01-02T13:00", "2023-01-02"),
        ] {
            assert_eq!(date(&a, &json!(input)).expect(input)["value"], json!(want), "{input}");
        }
        assert!(date(&a, &json!("24/11/2023")).is_err());
    }

    #[test]
    fn timestamps_are_utc_with_nanoseconds() {
        let a = attr("people", "created_at");
        assert_eq!(
            timestamp(&a, &json!("2023-01-02T13:00")).expect("ok")["value"],
            json!("2023-01-02T13:00:00.000000000Z")
        );
        assert_eq!(
            timestamp(&a, &json!("2023-01-02T15:00:00+02:00")).expect("ok")["value"],
            json!("2023-01-02T13:00:00.000000000Z")
        );
        assert_eq!(
            timestamp(&a, &json!("2023")).expect("ok")["value"],
            json!("2023-01-01T00:00:00.000000000Z")
        );
    }

    #[test]
    fn currency_takes_numbers_and_strings_with_at_most_four_decimals() {
        let a = attr("deals", "value");
        let m = currency(&a, &json!("4.99")).expect("ok");
        assert_eq!(m["currency_value"], json!(4.99));
        assert_eq!(m["currency_code"], json!("USD"));
        assert!(currency(&a, &json!({"currency_value": 10})).is_ok());
        assert!(currency(&a, &json!(1.23456)).is_err());
        assert!(currency(&a, &json!("abc")).is_err());
    }

    #[test]
    fn ratings_are_zero_to_five() {
        let a = attr("people", "description");
        assert!(rating(&a, &json!(5)).is_ok());
        assert!(rating(&a, &json!(6)).is_err());
        assert!(rating(&a, &json!(2.5)).is_err());
    }

    #[test]
    fn checkbox_accepts_strings_true_and_false() {
        let a = attr("people", "description");
        assert_eq!(checkbox(&a, &json!("true")).expect("ok")["value"], json!(true));
        assert!(checkbox(&a, &json!("yes")).is_err());
    }

    #[test]
    fn text_refuses_numbers() {
        let a = attr("people", "job_title");
        assert!(text(&a, &json!(12)).is_err());
        assert_eq!(text(&a, &json!({"value": "CTO"})).expect("ok")["value"], json!("CTO"));
    }
}
