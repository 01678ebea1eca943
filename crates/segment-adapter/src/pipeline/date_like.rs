//! The reference's `date-like` check for `datetime` fields: "a date parser accepts it",
//! where a numeric string counts as a Unix timestamp in seconds.
//!
//! The reference uses dayjs, which falls back to the JavaScript engine's lenient
//! `Date` parser. This accepts what that combination accepts in practice: ISO 8601 and
//! RFC 3339 forms, dayjs' own `YYYY[-/]MM[-/]DD[T ]HH:mm:ss.SSS` pattern, RFC 2822 dates
//! and `Month D YYYY`-style dates with an optional time. Anything without a recognisable
//! date is refused.

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Whether the reference's `date-like` format accepts `s`.
pub fn is_date_like(s: &str) -> bool {
    let t = s.trim();
    if let Ok(n) = t.parse::<f64>() {
        // `Number(s)` truthy → `dayjs.unix(n)`: valid within JavaScript's date range.
        if n != 0.0 && n.is_finite() {
            return (n * 1000.0).abs() <= 8.64e15;
        }
    }
    if t.is_empty() {
        return false;
    }
    dayjs_pattern(t) || iso_like(t) || textual_date(t)
}

/// dayjs' REGEX_PARSE: `^(\d{4})[-/]?(\d{1,2})?[-/]?(\d{0,2})[Tt\s]*(\d{1,2})?:?(\d{1,2})?:?(\d{1,2})?[.:]?(\d+)?$`
/// (not applied to strings ending in `Z`).
fn dayjs_pattern(s: &str) -> bool {
    if s.ends_with(['Z', 'z']) {
        return false;
    }
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize, max: usize| {
        let start = *i;
        while *i < b.len() && *i - start < max && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if digits(&mut i, 4) != 4 {
        return false;
    }
    let opt = |i: &mut usize, set: &[u8]| {
        if *i < b.len() && set.contains(&b[*i]) {
            *i += 1;
        }
    };
    opt(&mut i, b"-/");
    digits(&mut i, 2);
    opt(&mut i, b"-/");
    digits(&mut i, 2);
    while i < b.len() && matches!(b[i], b'T' | b't' | b' ' | b'\t' | b'\n') {
        i += 1;
    }
    digits(&mut i, 2);
    opt(&mut i, b":");
    digits(&mut i, 2);
    opt(&mut i, b":");
    digits(&mut i, 2);
    opt(&mut i, b".:");
    digits(&mut i, usize::MAX);
    i == b.len()
}

/// ISO 8601 date-times with a zone: `2024-05-24T10:00:00Z`, `...+02:00`, fractions.
fn iso_like(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
        || chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%:z").is_ok()
        || chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z").is_ok()
        || chrono::NaiveDateTime::parse_from_str(s.trim_end_matches(['Z', 'z']), "%Y-%m-%dT%H:%M:%S%.f").is_ok()
        || chrono::NaiveDateTime::parse_from_str(s.trim_end_matches(['Z', 'z']), "%Y-%m-%dT%H:%M").is_ok()
        || chrono::NaiveDate::parse_from_str(s.trim_end_matches(['Z', 'z']), "%Y-%m-%d").is_ok()
}

/// Dates written with a month name (`May 24 2024`, `24 May 2024 10:00`,
/// `Tue, 23 May 2023 14:42:01 GMT`) or as `MM/DD/YYYY`.
fn textual_date(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let mut month = false;
    let mut year = false;
    let mut day = false;
    for w in &words {
        let w = w.trim_end_matches('.');
        if MONTHS
            .iter()
            .any(|m| w.starts_with(m) && w.len() <= 9 && w.chars().all(|c| c.is_ascii_alphabetic()))
        {
            month = true;
        } else if WEEKDAYS
            .iter()
            .any(|d| w.starts_with(d) && w.chars().all(|c| c.is_ascii_alphabetic()))
        {
            continue;
        } else if w.len() == 4 && w.chars().all(|c| c.is_ascii_digit()) {
            year = true;
        } else if (1..=2).contains(&w.len()) && w.chars().all(|c| c.is_ascii_digit()) {
            day = true;
        } else if is_time(w) || matches!(w, "gmt" | "utc" | "z" | "am" | "pm") || is_zone_offset(w) {
            continue;
        } else if let Some(parts) = slash_date(w) {
            return parts;
        } else {
            return false;
        }
    }
    month && (year || day)
}

fn is_time(w: &str) -> bool {
    let parts: Vec<&str> = w.split(':').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 2 && p.chars().all(|c| c.is_ascii_digit()))
}

fn is_zone_offset(w: &str) -> bool {
    let w = w.strip_prefix("gmt").or_else(|| w.strip_prefix("utc")).unwrap_or(w);
    (w.starts_with('+') || w.starts_with('-')) && w.len() >= 3 && w[1..].chars().all(|c| c.is_ascii_digit() || c == ':')
}

fn slash_date(w: &str) -> Option<bool> {
    let parts: Vec<&str> = w.split('/').collect();
    if parts.len() != 3
        || !parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let m: u32 = parts[0].parse().ok()?;
    let d: u32 = parts[1].parse().ok()?;
    Some((1..=12).contains(&m) && (1..=31).contains(&d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_what_the_reference_accepts() {
        for ok in [
            "2024-05-24T10:00:00.000Z",
            "2024-05-24T10:00:00Z",
            "2024-05-24T10:00:00+02:00",
            "2024-05-24",
            "2024/05/24 10:00",
            "20240524",
            "May 24 2024",
            "Tue, 23 May 2023 14:42:01 GMT",
            "24 May 2024 10:00",
            "05/24/2024",
            "1716544800",
            "1716544800000",
        ] {
            assert!(is_date_like(ok), "{ok}");
        }
    }

    #[test]
    fn refuses_garbage() {
        for bad in [
            "garbage",
            "",
            "  ",
            "yesterday",
            "2024-05-24T10:00:00Zulu",
            "not 2024",
            "1e400",
        ] {
            assert!(!is_date_like(bad), "{bad}");
        }
    }

    /// Dates in the forms the reference accepts, from random components.
    fn well_formed_date() -> impl Strategy<Value = String> {
        let parts = (
            1970i32..2100,
            1u32..=12,
            1u32..=28,
            0u32..24,
            0u32..60,
            0u32..60,
            0u32..1000,
            -12i32..=12,
        );
        (parts, 0usize..9).prop_map(|((y, mo, d, h, mi, s, ms, off), form)| {
            let month = MONTHS[(mo - 1) as usize];
            let weekday = WEEKDAYS[(d % 7) as usize];
            let sign = if off < 0 { '-' } else { '+' };
            let off = off.abs();
            match form {
                0 => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z"),
                1 => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{sign}{off:02}:00"),
                2 => format!("{y:04}-{mo:02}-{d:02}"),
                3 => format!("{y:04}/{mo:02}/{d:02} {h:02}:{mi:02}"),
                4 => format!("{y:04}{mo:02}{d:02}"),
                5 => format!("{month} {d} {y:04}"),
                6 => format!("{weekday}, {d:02} {month} {y:04} {h:02}:{mi:02}:{s:02} GMT{sign}{off:02}00"),
                7 => format!("{mo:02}/{d:02}/{y:04}"),
                _ => format!("{}", 86_400i64 * i64::from(y - 1969) + i64::from(d)),
            }
        })
    }

    /// Date-like text with a few characters removed, replaced or inserted (any character,
    /// multi-byte ones included): what reaches the deeper branches of the checks.
    fn mutated_date() -> impl Strategy<Value = String> {
        let ops = prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 0..4);
        (well_formed_date(), ops).prop_map(|(base, ops)| {
            let mut chars: Vec<char> = base.chars().collect();
            for (idx, kind, c) in ops {
                let i = idx.index(chars.len() + 1);
                match kind {
                    0 if i < chars.len() => {
                        chars.remove(i);
                    }
                    1 if i < chars.len() => chars[i] = c,
                    _ => chars.insert(i.min(chars.len()), c),
                }
            }
            chars.into_iter().collect()
        })
    }

    /// Words of textual dates (months, weekdays, days, years, times, zones, slash dates)
    /// and near misses with a stray character of any kind, joined as dates are.
    fn date_words() -> impl Strategy<Value = String> {
        let month = prop::sample::select(MONTHS.to_vec()).prop_map(str::to_owned);
        let weekday = prop::sample::select(WEEKDAYS.to_vec()).prop_map(|d| format!("{d},"));
        let zone = (
            prop::sample::select(vec!["", "gmt", "utc", "GMT"]),
            prop::sample::select(vec!["+", "-"]),
            "[0-9:]{0,4}",
            prop::option::of(any::<char>()),
            "[0-9]{0,2}",
        )
            .prop_map(|(prefix, sign, a, c, b)| {
                format!("{prefix}{sign}{a}{}{b}", c.map(String::from).unwrap_or_default())
            });
        let word = prop_oneof![
            month,
            weekday,
            "[0-9]{1,2}",
            "[0-9]{4}",
            "[0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2})?",
            zone,
            "[0-9]{1,2}/[0-9]{1,2}/[0-9]{1,4}",
            prop::sample::select(vec!["am", "pm", "z", "gmt", "utc"]).prop_map(str::to_owned),
            ".{1,3}",
        ];
        (
            prop::collection::vec(word, 1..7),
            prop::sample::select(vec![" ", ", ", "  "]),
        )
            .prop_map(|(words, sep)| words.join(sep))
    }

    proptest! {
        #[test]
        fn never_panics_on_date_words(s in date_words()) {
            let _ = is_date_like(&s);
        }

        #[test]
        fn never_panics(s in ".{0,40}") {
            let _ = is_date_like(&s);
        }

        #[test]
        fn never_panics_on_date_like_text(s in mutated_date()) {
            let _ = is_date_like(&s);
        }

        #[test]
        fn accepts_every_well_formed_date(s in well_formed_date()) {
            prop_assert!(is_date_like(&s), "{s:?} refused");
        }
    }
}
