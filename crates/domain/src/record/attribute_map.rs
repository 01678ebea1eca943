use std::borrow::Cow;

use crate::JsonText;

/// An ordered map of attribute slug (or ID) to value, as a mapping's key-value editor
/// produces it. Inserting an existing key replaces its value and keeps its position,
/// which is how a JavaScript object spread behaves.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttributeMap<'a> {
    entries: Vec<(Cow<'a, str>, JsonText<'a>)>,
}

impl<'a> AttributeMap<'a> {
    pub fn new() -> Self {
        Self { entries: Vec::new() }
    }

    pub fn with_capacity(n: usize) -> Self {
        Self {
            entries: Vec::with_capacity(n),
        }
    }

    /// Sets `key`, replacing an earlier value in place.
    pub fn insert(&mut self, key: impl Into<Cow<'a, str>>, value: JsonText<'a>) {
        let key = key.into();
        if let Some(slot) = self.entries.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            self.entries.push((key, value));
        }
    }

    pub fn get(&self, key: &str) -> Option<&JsonText<'a>> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &JsonText<'a>)> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<'a> IntoIterator for AttributeMap<'a> {
    type Item = (Cow<'a, str>, JsonText<'a>);
    type IntoIter = std::vec::IntoIter<(Cow<'a, str>, JsonText<'a>)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> FromIterator<(Cow<'a, str>, JsonText<'a>)> for AttributeMap<'a> {
    fn from_iter<T: IntoIterator<Item = (Cow<'a, str>, JsonText<'a>)>>(iter: T) -> Self {
        let mut m = AttributeMap::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_of_existing_key_keeps_first_position() {
        let mut m = AttributeMap::new();
        m.insert("a", JsonText::string("1"));
        m.insert("b", JsonText::string("2"));
        m.insert("a", JsonText::string("3"));
        let keys: Vec<_> = m.iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(m.get("a").unwrap().as_str(), "\"3\"");
    }
}
