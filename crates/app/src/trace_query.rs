//! Parsing the trace filters the command line and the HTTP API share.

use chrono::{DateTime, Utc};
use domain::ports::TraceState;

/// Most traces one list returns.
pub const MAX_LIST: usize = 10_000;

pub fn parse_state(text: &str) -> Result<TraceState, String> {
    text.parse()
}

/// An RFC 3339 time (`2024-05-01T10:00:00Z`) or an age before now (`90s`, `15m`, `2h`, `7d`).
pub fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    parse_since_at(text, Utc::now())
}

fn parse_since_at(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => 0,
    };
    match number.parse::<i64>() {
        Ok(n) if seconds > 0 && !number.is_empty() => n
            .checked_mul(seconds)
            .and_then(chrono::Duration::try_seconds)
            .and_then(|age| now.checked_sub_signed(age))
            .ok_or_else(|| format!("{text:?} is too far back")),
        _ => Err(format!(
            "{text:?} is neither an RFC 3339 time (2024-05-01T10:00:00Z) nor an age (90s, 15m, 2h, 7d)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_times_and_ages() {
        let now = DateTime::parse_from_rfc3339("2024-05-02T00:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let day_before = DateTime::parse_from_rfc3339("2024-05-01T00:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(parse_since_at("1d", now), Ok(day_before));
        assert_eq!(parse_since_at("24h", now), Ok(day_before));
        assert_eq!(parse_since_at("2024-05-01T00:00:00Z", now), Ok(day_before));
        let error = parse_since_at("yesterday", now).expect_err("not a time");
        assert!(error.contains("yesterday"), "{error}");
        assert!(parse_since_at("5w", now).is_err());
    }

    #[test]
    fn state_names_the_choices_when_unknown() {
        assert_eq!(parse_state("dead_lettered"), Ok(TraceState::DeadLettered));
        let error = parse_state("lost").expect_err("unknown");
        assert!(error.contains("in_flight"), "{error}");
    }
}
