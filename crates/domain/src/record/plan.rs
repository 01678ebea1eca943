//! The writes an action asks of Attio, as data. How each goes on the wire (path, body)
//! is the Attio adapter's business.

use super::{Assertion, FollowUp, WriteMode};

/// One write the actions ask of Attio.
#[derive(Debug, Clone, PartialEq)]
pub enum AttioCommand<'a> {
    /// Assert one record (matched by its assertion's matching attribute), with the
    /// records its values reference asserted inline.
    SimpleAssert(Assertion<'a>),
    /// Assert several records in one request.
    BatchAssert(Vec<Assertion<'a>>),
}

/// The ordered commands one action issues for one event (single mode) or one batch.
/// A command runs only after the one before it succeeded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan<'a> {
    pub commands: Vec<AttioCommand<'a>>,
    /// Done after the commands, with the record the last one asserted.
    pub follow_up: Option<FollowUp<'a>>,
    /// How the asserts may write.
    pub write_mode: WriteMode,
}

impl<'a> Plan<'a> {
    pub fn asserts(commands: Vec<AttioCommand<'a>>) -> Self {
        Self {
            commands,
            ..Self::default()
        }
    }
}

#[cfg(test)]
impl AttioCommand<'_> {
    /// The first assertion's object, matching attribute and values as a JSON object (a
    /// test's view of the data; the wire format is the Attio adapter's). A value that
    /// is the previous reply's record id shows as `previous_record_id`.
    pub(crate) fn test_view(&self, previous_record_id: &str) -> serde_json::Value {
        use super::AssertValue;
        fn view(a: &Assertion<'_>, prev: &str) -> serde_json::Value {
            let values: serde_json::Map<String, serde_json::Value> = a
                .values
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        AssertValue::Json(j) => serde_json::from_str(j.as_str()).expect("values are JSON"),
                        AssertValue::Nested(n) => view(n, prev),
                        AssertValue::RecordIdOfPreviousReply => prev.into(),
                    };
                    (k.to_string(), v)
                })
                .collect();
            let mut v = serde_json::json!({
                "object": a.object.as_str(),
                "matching_attribute": a.matching_attribute.as_str(),
                "multiselect": a.multiselect.batch_value(),
                "values": values,
            });
            if let Some(r) = &a.received_at {
                v["received_at"] = r.to_string().into();
            }
            v
        }
        match self {
            AttioCommand::SimpleAssert(a) => view(a, previous_record_id),
            AttioCommand::BatchAssert(list) => list
                .first()
                .map_or(serde_json::Value::Null, |a| view(a, previous_record_id)),
        }
    }
}
