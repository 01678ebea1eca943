//! A piece of JSON text that is known to hold exactly one valid JSON value.

use std::borrow::Cow;
use std::fmt;

/// One JSON value kept as its text, borrowed from the input where possible, so values
/// mapped from an event pass through to the Attio request without being re-built.
#[derive(Clone, PartialEq, Eq)]
pub struct JsonText<'a>(Cow<'a, str>);

#[derive(Debug, thiserror::Error)]
#[error("not a single JSON value: {0}")]
pub struct InvalidJson(String);

impl<'a> JsonText<'a> {
    /// Checks that `s` is exactly one JSON value.
    pub fn parse(s: impl Into<Cow<'a, str>>) -> Result<Self, InvalidJson> {
        let s = s.into();
        serde_json::from_str::<serde::de::IgnoredAny>(&s).map_err(|e| InvalidJson(e.to_string()))?;
        Ok(Self(s))
    }

    /// Wraps text produced by a JSON serializer. The caller guarantees that `s` is one
    /// valid JSON value (checked in debug builds).
    pub fn trusted(s: impl Into<Cow<'a, str>>) -> Self {
        let s = s.into();
        debug_assert!(
            serde_json::from_str::<serde::de::IgnoredAny>(&s).is_ok(),
            "JsonText::trusted given invalid JSON: {s}"
        );
        Self(s)
    }

    /// The JSON string literal for `s`.
    pub fn string(s: &str) -> JsonText<'static> {
        let mut out = String::with_capacity(s.len() + 2);
        write_json_str(&mut out, s);
        JsonText(Cow::Owned(out))
    }

    pub const NULL: JsonText<'static> = JsonText(Cow::Borrowed("null"));

    /// The same text, borrowed: a copy that allocates nothing.
    pub fn borrowed(&self) -> JsonText<'_> {
        JsonText(Cow::Borrowed(&self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same value, owning its text (a copy only when it was borrowed).
    pub fn into_owned(self) -> JsonText<'static> {
        JsonText(Cow::Owned(self.0.into_owned()))
    }

    pub fn is_null(&self) -> bool {
        &*self.0 == "null"
    }

    /// Parses the text into a `serde_json::Value` (for inspection, not the hot path).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(&self.0).unwrap_or(serde_json::Value::Null)
    }
}

impl fmt::Debug for JsonText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for JsonText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The index of the first byte of `b` that a JSON string literal must escape (`"`, `\\`
/// or a control character), or `b.len()`. Eight bytes are tested at a time.
fn first_escape(b: &[u8]) -> usize {
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let found = escapes(word);
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    // The last bytes, padded with spaces (which need no escape).
    let rest = &b[i..];
    let mut word = [b' '; 8];
    word[..rest.len()].copy_from_slice(rest);
    match escapes(word) {
        0 => b.len(),
        found => i + (found.trailing_zeros() / 8) as usize,
    }
}

/// The high bit of each byte of `word` that is below 0x20, `"` or `\\`. Borrows may flag
/// bytes after the first such byte too, so only the lowest flag is used: it is exact.
fn escapes(word: [u8; 8]) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let x = u64::from_le_bytes(word);
    let control = x.wrapping_sub(ONES * 0x20) & !x;
    let quote = x ^ (ONES * u64::from(b'"'));
    let quote = quote.wrapping_sub(ONES) & !quote;
    let backslash = x ^ (ONES * u64::from(b'\\'));
    let backslash = backslash.wrapping_sub(ONES) & !backslash;
    (control | quote | backslash) & HIGH
}

/// Appends `s` as a JSON string literal, escaping exactly as `JSON.stringify` does.
pub fn write_json_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let first = first_escape(bytes);
    if first == bytes.len() {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate().skip(first) {
        let esc: Option<&str> = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0x08 => Some("\\b"),
            0x0c => Some("\\f"),
            0..=0x1f => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        match esc {
            Some(e) => out.push_str(e),
            None => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 0xf) as usize] as char);
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literal_escapes_like_json_stringify() {
        let t = JsonText::string("a\"b\\c\nd\u{1}é");
        assert_eq!(t.as_str(), r#""a\"b\\c\nd\u0001é""#);
        assert_eq!(t.to_value(), serde_json::json!("a\"b\\c\nd\u{1}é"));
    }

    #[test]
    fn escapes_are_found_in_every_position_of_a_long_string() {
        for special in ['"', '\\', '\n', '\u{1f}', '\u{0}'] {
            for at in 0..20 {
                let mut s: String = "abcdefghijklmnopqrst".into();
                s.insert(at, special);
                let mut out = String::new();
                write_json_str(&mut out, &s);
                assert_eq!(out, serde_json::to_string(&s).unwrap(), "{s:?}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn string_literals_are_serde_jsons(s in "(?s).{0,40}") {
            let mut out = String::new();
            write_json_str(&mut out, &s);
            proptest::prop_assert_eq!(out, serde_json::to_string(&s).unwrap());
        }
    }

    #[test]
    fn parse_refuses_two_values() {
        assert!(JsonText::parse("1 2").is_err());
        assert!(JsonText::parse(" {\"a\": [1, null]} ").is_ok());
    }
}
