//! JSON text into a [`Val`]: the whole document, or projected onto the top-level keys
//! that a reader (a subscription's FQL and mapping) can reach.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::{fast, Obj, Projection, Val};

impl<'a> Val<'a> {
    /// Parses JSON text, borrowing strings from it where possible.
    pub fn parse(text: &'a str) -> Result<Val<'a>, serde_json::Error> {
        if let Some(v) = fast::parse(text, None) {
            return Ok(v);
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let v = Val::deserialize(&mut de)?;
        de.end()?;
        Ok(v)
    }

    /// Parses JSON text keeping, when it is an object, only the top-level keys in
    /// `roots` (see [`Val::parse_with`]).
    pub fn parse_projected<K: AsRef<str>>(text: &'a str, roots: &[K]) -> Result<Val<'a>, serde_json::Error> {
        Val::parse_with(text, &Projection::of_roots(roots))
    }

    /// Parses JSON text keeping, when it is an object, only what `projection` keeps; the
    /// other values are checked for JSON syntax and skipped without being built. Anything
    /// else than an object parses as [`Val::parse`] does.
    ///
    /// Every lookup along the projection's paths gives what it gives on the full parse
    /// (duplicate keys included: the last value wins). Skipped values may not be held to the
    /// nesting limit of the full parse, nor to its check of unpaired `\u` surrogate escapes,
    /// as nothing reads them.
    pub fn parse_with(text: &'a str, projection: &Projection) -> Result<Val<'a>, serde_json::Error> {
        if let Some(v) = fast::parse(text, Some(projection)) {
            return Ok(v);
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let v = Projected {
            keep: Keep::Top(projection),
        }
        .deserialize(&mut de)?;
        de.end()?;
        Ok(v)
    }
}

impl<'de> Deserialize<'de> for Val<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValVisitor)
    }
}

/// The keys seen so far in an object, as a 64-bit filter: a key whose bit is not set yet
/// is new and is appended without searching the object.
#[derive(Default)]
pub(super) struct SeenKeys(u64);

impl SeenKeys {
    fn bit(key: &str) -> u64 {
        let b = key.as_bytes();
        let (first, last) = (b.first().copied().unwrap_or(0), b.last().copied().unwrap_or(0));
        let h = (b.len() as u64).wrapping_mul(0x9E37_79B9) ^ (u64::from(first) << 2) ^ u64::from(last).wrapping_mul(37);
        1 << (h & 63)
    }

    /// Adds `key = value`; JSON.parse keeps the last duplicate at the first one's position.
    pub(super) fn add<'a>(&mut self, obj: &mut Obj<'a>, key: Cow<'a, str>, value: Val<'a>) {
        let bit = Self::bit(&key);
        if self.0 & bit == 0 {
            self.0 |= bit;
            obj.0.push((key, value));
        } else {
            obj.insert(key, value);
        }
    }
}

struct ValVisitor;

impl<'de> Visitor<'de> for ValVisitor {
    type Value = Val<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Val<'de>, E> {
        Ok(Val::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Val<'de>, E> {
        Ok(Val::Num(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Val<'de>, E> {
        Ok(Val::Num(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Val<'de>, E> {
        Ok(Val::Num(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Val<'de>, E> {
        Ok(Val::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Val<'de>, E> {
        Ok(Val::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Val<'de>, E> {
        Ok(Val::Str(Cow::Owned(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Val<'de>, E> {
        Ok(Val::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Val<'de>, E> {
        Ok(Val::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Val<'de>, D::Error> {
        Val::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Val::Arr(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val<'de>, A::Error> {
        let mut obj = Obj::with_capacity(map.size_hint().unwrap_or(8));
        let mut seen = SeenKeys::default();
        while let Some(key) = map.next_key::<KeyCow<'de>>()? {
            let v: Val<'de> = map.next_value()?;
            seen.add(&mut obj, key.0, v);
        }
        Ok(Val::Obj(obj))
    }
}

/// What a projected object keeps of its keys.
#[derive(Clone, Copy)]
enum Keep<'p> {
    Keys(&'p [Box<str>]),
    Top(&'p Projection),
}

/// A value parsed under a projection: an object keeps what `keep` says, anything else is
/// parsed whole.
struct Projected<'p> {
    keep: Keep<'p>,
}

impl<'de> DeserializeSeed<'de> for Projected<'_> {
    type Value = Val<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Val<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Projected<'_> {
    type Value = Val<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Val<'de>, E> {
        ValVisitor.visit_bool(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Val<'de>, E> {
        ValVisitor.visit_i64(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Val<'de>, E> {
        ValVisitor.visit_u64(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Val<'de>, E> {
        ValVisitor.visit_f64(v)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Val<'de>, E> {
        ValVisitor.visit_borrowed_str(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Val<'de>, E> {
        ValVisitor.visit_str(v)
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Val<'de>, E> {
        ValVisitor.visit_string(v)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Val<'de>, E> {
        ValVisitor.visit_unit()
    }
    fn visit_none<E: de::Error>(self) -> Result<Val<'de>, E> {
        ValVisitor.visit_none()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Val<'de>, D::Error> {
        ValVisitor.visit_some(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Val<'de>, A::Error> {
        ValVisitor.visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val<'de>, A::Error> {
        let mut obj = Obj::new();
        let mut seen = SeenKeys::default();
        while let Some(key) = map.next_key::<KeyCow<'de>>()? {
            let keep = match self.keep {
                Keep::Keys(keys) => keys.iter().any(|k| **k == *key.0).then_some(None),
                Keep::Top(p) => p.lookup(&key.0),
            };
            let v = match keep {
                None => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
                Some(None) => map.next_value::<Val<'de>>()?,
                Some(Some(keys)) => map.next_value_seed(Projected { keep: Keep::Keys(keys) })?,
            };
            seen.add(&mut obj, key.0, v);
        }
        Ok(Val::Obj(obj))
    }
}

struct KeyCow<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for KeyCow<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct K;
        impl<'de> Visitor<'de> for K {
            type Value = KeyCow<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<KeyCow<'de>, E> {
                Ok(KeyCow(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyCow<'de>, E> {
                Ok(KeyCow(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<KeyCow<'de>, E> {
                Ok(KeyCow(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(K)
    }
}

#[cfg(test)]
mod tests;
