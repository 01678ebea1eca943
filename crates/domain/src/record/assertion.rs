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
    /// What the write does to multiselect attributes' existing values.
    pub multiselect: super::Multiselect,
}

impl<'a> Assertion<'a> {
    pub fn new(object: ObjectSlug, matching_attribute: AttributeSlug) -> Self {
        Self {
            object,
            matching_attribute,
            values: Vec::new(),
            received_at: None,
            multiselect: super::Multiselect::Append,
        }
    }

    /// `new` with room for `n` values.
    pub fn with_capacity(object: ObjectSlug, matching_attribute: AttributeSlug, n: usize) -> Self {
        Self {
            values: Vec::with_capacity(n),
            ..Self::new(object, matching_attribute)
        }
    }

    /// The same assertion borrowing its keys and values from this one: a copy that
    /// allocates its lists, not its text.
    pub fn borrowed(&self) -> Assertion<'_> {
        Assertion {
            object: self.object.clone(),
            matching_attribute: self.matching_attribute.clone(),
            values: self
                .values
                .iter()
                .map(|(key, value)| {
                    let value = match value {
                        AssertValue::Json(json) => AssertValue::Json(json.borrowed()),
                        AssertValue::Nested(nested) => AssertValue::Nested(Box::new(nested.borrowed())),
                        AssertValue::RecordIdOfPreviousReply => AssertValue::RecordIdOfPreviousReply,
                    };
                    (Cow::Borrowed(key.as_ref()), value)
                })
                .collect(),
            received_at: self.received_at.as_deref().map(Cow::Borrowed),
            multiselect: self.multiselect,
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

    /// Removes every value that is JSON `null`, here and in nested assertions (a
    /// subscription with `sync_nulls = false` leaves those attributes alone).
    pub fn drop_nulls(&mut self) {
        self.values.retain_mut(|(_, v)| match v {
            AssertValue::Json(j) => j.as_str() != "null",
            AssertValue::Nested(n) => {
                n.drop_nulls();
                true
            }
            AssertValue::RecordIdOfPreviousReply => true,
        });
    }

    /// Sets the multiselect behaviour here and in nested assertions.
    pub fn set_multiselect(&mut self, m: super::Multiselect) {
        self.multiselect = m;
        for (_, v) in &mut self.values {
            if let AssertValue::Nested(n) = v {
                n.set_multiselect(m);
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&AssertValue<'a>> {
        self.values.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}
