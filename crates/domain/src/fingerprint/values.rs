//! [`Fingerprint`]: a hash of each attribute an assertion writes, and its text form.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::canonical::{hash_value, Fnv128};
use crate::Multiselect;

/// What one write puts in one record: for each attribute written, a hash of its name and
/// a hash of its value (in canonical form, with the multiselect behaviour of the write).
///
/// Stored per attribute so that several subscriptions writing different attributes of the
/// same record do not defeat each other: a write is skipped when every attribute it
/// writes already has the same hash, whoever wrote the others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprint {
    /// Attribute name hash -> value hash.
    attributes: BTreeMap<u64, u128>,
}

/// The version prefix of the text form; a stored text of another version is ignored (the
/// record is written again).
const VERSION: &str = "v1:";
const ENTRY: usize = 16 + 32;

impl Fingerprint {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn insert(&mut self, attribute: &str, value: u128) {
        let mut h = Fnv128::new();
        h.str(attribute);
        self.attributes.insert(h.finish() as u64, value);
    }

    /// How many attributes it covers.
    pub fn len(&self) -> usize {
        self.attributes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty()
    }

    /// Every attribute here has the same value hash in `stored`: writing it again would
    /// change nothing.
    pub fn is_covered_by(&self, stored: &Fingerprint) -> bool {
        self.attributes
            .iter()
            .all(|(name, value)| stored.attributes.get(name) == Some(value))
    }

    /// `stored` with this write's attributes laid over it (what the record holds after it).
    pub fn laid_over(&self, stored: &Fingerprint) -> Fingerprint {
        let mut out = stored.clone();
        out.attributes.extend(self.attributes.iter().map(|(k, v)| (*k, *v)));
        out
    }

    /// The opaque text stored in the spool: `v1:` then 48 hex digits per attribute.
    pub fn encode(&self) -> String {
        let mut s = String::with_capacity(VERSION.len() + ENTRY * self.attributes.len());
        s.push_str(VERSION);
        for (name, value) in &self.attributes {
            let _ = write!(s, "{name:016x}{value:032x}");
        }
        s
    }

    /// Reads [`encode`](Self::encode)'s text; `None` when it is not one (another version,
    /// or damaged), which makes the record be written again.
    pub fn decode(text: &str) -> Option<Fingerprint> {
        let body = text.strip_prefix(VERSION)?;
        if body.len() % ENTRY != 0 || !body.is_ascii() {
            return None;
        }
        let mut attributes = BTreeMap::new();
        for i in (0..body.len()).step_by(ENTRY) {
            let name = u64::from_str_radix(body.get(i..i + 16)?, 16).ok()?;
            let value = u128::from_str_radix(body.get(i + 16..i + ENTRY)?, 16).ok()?;
            attributes.insert(name, value);
        }
        Some(Fingerprint { attributes })
    }
}

/// The hash of one JSON value as written with `multiselect`.
pub(crate) fn json_value_hash(value: &serde_json::Value, multiselect: Multiselect) -> u128 {
    let mut h = Fnv128::new();
    h.tag(b'j');
    h.str(multiselect.as_str());
    hash_value(&mut h, value);
    h.finish()
}

/// The hash of a link to another record (a nested assertion).
pub(crate) fn link_hash(object: &str, matching: &str) -> u128 {
    let mut h = Fnv128::new();
    h.tag(b'>');
    h.str(object);
    h.str(matching);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(entries: &[(&str, u128)]) -> Fingerprint {
        let mut f = Fingerprint::new();
        for (k, v) in entries {
            f.insert(k, *v);
        }
        f
    }

    #[test]
    fn text_form_round_trips() {
        let f = fp(&[("name", 7), ("email_addresses", u128::MAX)]);
        assert_eq!(Fingerprint::decode(&f.encode()), Some(f));
        assert_eq!(
            Fingerprint::decode(&Fingerprint::new().encode()),
            Some(Fingerprint::new())
        );
    }

    #[test]
    fn foreign_or_damaged_text_is_not_a_fingerprint() {
        assert_eq!(Fingerprint::decode("v0:"), None);
        assert_eq!(Fingerprint::decode("v1:abc"), None);
        assert_eq!(Fingerprint::decode(&format!("v1:{}", "z".repeat(48))), None);
        assert_eq!(Fingerprint::decode(&format!("v1:{}", "é".repeat(24))), None);
    }

    #[test]
    fn a_write_is_covered_when_every_attribute_has_the_same_hash() {
        let stored = fp(&[("a", 1), ("b", 2), ("c", 3)]);
        assert!(fp(&[("a", 1), ("c", 3)]).is_covered_by(&stored));
        assert!(!fp(&[("a", 1), ("c", 4)]).is_covered_by(&stored));
        assert!(!fp(&[("d", 1)]).is_covered_by(&stored));
    }

    #[test]
    fn alternating_writers_of_different_attributes_are_both_covered_after_their_first_writes() {
        let first = fp(&[("key", 1), ("plan", 10)]);
        let second = fp(&[("key", 1), ("seats", 20)]);
        let stored = first.laid_over(&Fingerprint::new());
        let stored = second.laid_over(&stored);
        assert!(first.is_covered_by(&stored));
        assert!(second.is_covered_by(&stored));
        let changed = fp(&[("key", 1), ("plan", 11)]);
        assert!(!changed.is_covered_by(&stored));
        let stored = changed.laid_over(&stored);
        assert!(second.is_covered_by(&stored) && !first.is_covered_by(&stored));
    }
}
