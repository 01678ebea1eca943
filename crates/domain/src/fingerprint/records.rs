//! The records an assertion writes, each with its key and the fingerprint of what the
//! assertion writes to it.

use serde_json::Value;

use super::canonical::canonical_text;
use super::values::{json_value_hash, link_hash, Fingerprint};
use crate::ports::RecordRef;
use crate::{AssertValue, Assertion, AttioCommand, Plan};

/// A record of one workspace: its object and its matching attribute with the value, as
/// `attribute=<canonical JSON>` (e.g. `email_addresses="gob@bluth.example"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordKey {
    pub object: String,
    pub matching: String,
}

impl RecordKey {
    /// The key in the port's terms, for one destination.
    pub fn in_destination(&self, destination: &str) -> RecordRef {
        RecordRef {
            destination: destination.to_owned(),
            object: self.object.clone(),
            matching: self.matching.clone(),
        }
    }
}

/// One record an assertion writes, and what it writes there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordWrite {
    pub record: RecordKey,
    pub fingerprint: Fingerprint,
}

/// Attributes whose values Attio compares without regard to case when it matches records.
const CASE_INSENSITIVE_MATCHING: &[&str] = &["email_addresses", "domains"];

/// The records `assertion` writes: itself first, then its nested assertions (depth
/// first). `None` when it cannot be fingerprinted, so it must always be sent: its
/// matching value is missing, is not one value, or is a nested record; or a value is
/// the record id of a previous reply (only known once sent).
pub fn assertion_writes(assertion: &Assertion<'_>) -> Option<Vec<RecordWrite>> {
    let mut out = Vec::new();
    collect(assertion, &mut out)?;
    Some(out)
}

fn collect(a: &Assertion<'_>, out: &mut Vec<RecordWrite>) -> Option<RecordKey> {
    let record = record_key(a)?;
    let index = out.len();
    out.push(RecordWrite {
        record: record.clone(),
        fingerprint: Fingerprint::new(),
    });
    let mut fingerprint = Fingerprint::new();
    for (name, value) in &a.values {
        let hash = match value {
            AssertValue::Json(j) => json_value_hash(&j.to_value(), a.multiselect),
            AssertValue::Nested(nested) => {
                let key = collect(nested, out)?;
                link_hash(&key.object, &key.matching)
            }
            AssertValue::RecordIdOfPreviousReply => return None,
        };
        fingerprint.insert(name, hash);
    }
    out[index].fingerprint = fingerprint;
    Some(record)
}

pub(crate) fn record_key(a: &Assertion<'_>) -> Option<RecordKey> {
    let matching = a.matching_attribute.as_str();
    let AssertValue::Json(value) = a.get(matching)? else {
        return None;
    };
    let value = match value.to_value() {
        Value::Array(mut items) if items.len() == 1 => items.pop()?,
        Value::Array(_) | Value::Null => return None,
        other => other,
    };
    let value = match value {
        Value::String(s) if CASE_INSENSITIVE_MATCHING.contains(&matching) => Value::String(s.to_lowercase()),
        other => other,
    };
    Some(RecordKey {
        object: a.object.as_str().to_owned(),
        matching: format!("{matching}={}", canonical_text(&value)),
    })
}

/// For each command of a single-mode or batch `plan`, the records it writes when it may
/// be skipped, or `None` when it must be sent whatever Attio holds: a command whose reply
/// the plan needs (the next command uses its record id, or it is the last and the plan
/// has a follow-up such as a note or list entry), a batch of several assertions, or a
/// command that cannot be fingerprinted.
pub fn plan_writes(plan: &Plan<'_>) -> Vec<Option<Vec<RecordWrite>>> {
    plan.commands
        .iter()
        .enumerate()
        .map(|(i, command)| {
            let reply_needed = match plan.commands.get(i + 1) {
                Some(next) => uses_previous_reply(next),
                None => plan.follow_up.is_some(),
            };
            if reply_needed {
                return None;
            }
            match command {
                AttioCommand::SimpleAssert(a) => assertion_writes(a),
                AttioCommand::BatchAssert(list) => match list.as_slice() {
                    [one] => assertion_writes(one),
                    _ => None,
                },
            }
        })
        .collect()
}

fn uses_previous_reply(command: &AttioCommand<'_>) -> bool {
    fn in_assertion(a: &Assertion<'_>) -> bool {
        a.values.iter().any(|(_, v)| match v {
            AssertValue::RecordIdOfPreviousReply => true,
            AssertValue::Nested(n) => in_assertion(n),
            AssertValue::Json(_) => false,
        })
    }
    match command {
        AttioCommand::SimpleAssert(a) => in_assertion(a),
        AttioCommand::BatchAssert(list) => list.iter().any(in_assertion),
    }
}

#[cfg(test)]
#[path = "records_tests.rs"]
mod tests;
