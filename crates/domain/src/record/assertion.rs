use std::borrow::Cow;

use crate::{AttributeMap, AttributeSlug, JsonText, ObjectSlug};

/// One value in an assertion's `values`.
#[derive(Debug, Clone, PartialEq)]
pub enum AssertValue<'a> {
    /// A value as mapped, sent verbatim.
    Json(JsonText<'a>),
    /// A nested assertion of the referenced record (batch mode).
    Nested(Box<Assertion<'a>>),
    /// The `data.id.record_id` of the reply to the previous command of the same plan
    /// (single-mode `groupWorkspace` links the workspace to the company this way).
    RecordIdOfPreviousReply,
}

/// "Create or update the record of `object` whose `matching_attribute` equals the
/// value given in `values`".
#[derive(Debug, Clone, PartialEq)]
pub struct Assertion<'a> {
    pub object: ObjectSlug,
    pub matching_attribute: AttributeSlug,
    pub values: Vec<(Cow<'a, str>, AssertValue<'a>)>,
    /// Sent in batch mode only.
    pub received_at: Option<Cow<'a, str>>,
}

impl<'a> Assertion<'a> {
    pub fn new(object: ObjectSlug, matching_attribute: AttributeSlug) -> Self {
        Self {
            object,
            matching_attribute,
            values: Vec::new(),
            received_at: None,
        }
    }

    /// `new` with room for `n` values.
    pub fn with_capacity(object: ObjectSlug, matching_attribute: AttributeSlug, n: usize) -> Self {
        Self {
            values: Vec::with_capacity(n),
            ..Self::new(object, matching_attribute)
        }
    }

    /// Sets `key`; an existing key is replaced in place (JavaScript spread order).
    pub fn set(&mut self, key: impl Into<Cow<'a, str>>, value: AssertValue<'a>) {
        let key = key.into();
        if let Some(slot) = self.values.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            self.values.push((key, value));
        }
    }

    pub fn set_json(&mut self, key: impl Into<Cow<'a, str>>, value: JsonText<'a>) {
        self.set(key, AssertValue::Json(value));
    }

    /// Spreads an attribute map over the values (later keys win, positions kept).
    pub fn spread(&mut self, map: AttributeMap<'a>) {
        for (k, v) in map {
            self.set(k, AssertValue::Json(v));
        }
    }

    pub fn get(&self, key: &str) -> Option<&AssertValue<'a>> {
        self.values.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}
