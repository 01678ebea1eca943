//! Hashing JSON values in a canonical form: the same value written two ways (object keys
//! in another order, `1.0` for `1`, escapes for plain characters) hashes the same.

use serde_json::Value;

/// FNV-1a, 128 bits: stable across builds and platforms (the fingerprints are stored), and
/// without a dependency. It is not a cryptographic hash: a collision needs two values
/// written to the same attribute of the same record, and costs one write skipped until
/// `resync_after_secs`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv128(u128);

const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

impl Fnv128 {
    pub(crate) fn new() -> Self {
        Self(OFFSET)
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u128::from(*b);
            self.0 = self.0.wrapping_mul(PRIME);
        }
    }

    /// A length-prefixed string, so that concatenations cannot collide.
    pub(crate) fn str(&mut self, s: &str) {
        self.bytes(&(s.len() as u64).to_le_bytes());
        self.bytes(s.as_bytes());
    }

    pub(crate) fn tag(&mut self, tag: u8) {
        self.bytes(&[tag]);
    }

    pub(crate) fn finish(self) -> u128 {
        self.0
    }
}

/// Feeds `value` in canonical form: object members sorted by key (Attio ignores their
/// order), numbers by their value (`1`, `1.0` and `1e0` are equal), strings by their
/// characters. Array order is kept: it is not always meaningless to Attio, and a
/// difference only costs a write.
pub(crate) fn hash_value(h: &mut Fnv128, value: &Value) {
    match value {
        Value::Null => h.tag(b'n'),
        Value::Bool(b) => h.tag(if *b { b't' } else { b'f' }),
        Value::Number(n) => {
            h.tag(b'#');
            h.str(&canonical_number(n));
        }
        Value::String(s) => {
            h.tag(b's');
            h.str(s);
        }
        Value::Array(items) => {
            h.tag(b'[');
            h.bytes(&(items.len() as u64).to_le_bytes());
            for item in items {
                hash_value(h, item);
            }
        }
        Value::Object(map) => {
            h.tag(b'{');
            h.bytes(&(map.len() as u64).to_le_bytes());
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_unstable_by(|a, b| a.0.cmp(b.0));
            for (k, v) in members {
                h.str(k);
                hash_value(h, v);
            }
        }
    }
}

/// Integers exactly; other numbers as JavaScript prints them.
fn canonical_number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => (f as i64).to_string(),
        Some(f) => ryu_js::Buffer::new().format(f).to_owned(),
        None => n.to_string(),
    }
}

/// The canonical JSON text of a value (object members sorted, numbers canonical), for
/// record keys that people read.
pub(crate) fn canonical_text(value: &Value) -> String {
    match value {
        Value::Number(n) => canonical_number(n),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(canonical_text).collect();
            format!("[{}]", inner.join(","))
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_unstable_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = members
                .into_iter()
                .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), canonical_text(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(text: &str) -> u128 {
        let mut h = Fnv128::new();
        hash_value(&mut h, &serde_json::from_str(text).expect("json"));
        h.finish()
    }

    #[test]
    fn object_member_order_does_not_change_the_hash() {
        assert_eq!(
            hash(r#"{"a":1,"b":{"c":2,"d":3}}"#),
            hash(r#"{"b":{"d":3,"c":2},"a":1}"#)
        );
    }

    #[test]
    fn numbers_hash_by_value_and_strings_by_characters() {
        assert_eq!(hash("1"), hash("1.0"));
        assert_eq!(hash("1"), hash("1e0"));
        assert_eq!(hash("0.5"), hash("5e-1"));
        assert_eq!(hash(r#""é""#), hash(r#""\u00e9""#));
        assert_ne!(hash("1"), hash(r#""1""#));
    }

    #[test]
    fn array_order_and_nesting_change_the_hash() {
        assert_ne!(hash(r#"["a","b"]"#), hash(r#"["b","a"]"#));
        assert_ne!(hash(r#"[["a"],"b"]"#), hash(r#"["a",["b"]]"#));
        assert_ne!(hash(r#"{"ab":"c"}"#), hash(r#"{"a":"bc"}"#));
        assert_ne!(hash("null"), hash(r#""""#));
    }

    #[test]
    fn canonical_text_sorts_members_and_normalises_numbers() {
        let v = serde_json::from_str(r#"{"b":[1.0,"x"],"a":null}"#).expect("json");
        assert_eq!(canonical_text(&v), r#"{"a":null,"b":[1,"x"]}"#);
    }
}
