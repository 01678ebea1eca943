//! The action pipeline: what the reference's runtime does between the mapping and the
//! action. Root-level empty-value stripping, the JSON-schema coercions, required fields,
//! the email and date checks, then the validated payload of the domain action.

mod build;
mod coerce;
mod date_like;
mod error;
pub mod fields;
#[cfg(test)]
mod props;

pub use build::attribute_map;
pub use coerce::Coerced;
pub use date_like::is_date_like;
pub use error::PayloadError;

use domain::actions::{ActionKind, ActionPayload};

use crate::json::Val;

/// Single events (`perform`) and batches (`performBatch`) strip empty values differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Single,
    Batch,
}

/// Turns a mapped payload into the validated payload of `action`.
///
/// Keys that are not fields of the action are dropped, as the reference does.
pub fn prepare<'a>(action: ActionKind, mapped: Val<'a>, mode: Mode) -> Result<ActionPayload<'a>, PayloadError> {
    let obj = match mapped {
        Val::Obj(o) => o,
        other => return Err(PayloadError::NotAnObject { got: other.type_name() }),
    };
    let defs = fields::fields(action);
    let mut values: [Option<Coerced<'a>>; fields::MAX_FIELDS] = Default::default();
    for (key, value) in obj {
        let Some(i) = defs.iter().position(|d| d.key == key) else {
            continue;
        };
        let def = &defs[i];
        values[i] = match coerce::strip_empty(value, def, mode) {
            Some(v) => Some(coerce::coerce(v, def)?),
            None => None,
        };
    }
    for (def, v) in defs.iter().zip(&values) {
        if def.required && v.is_none() {
            return Err(PayloadError::Missing { field: def.key });
        }
    }
    build::build(action, defs, values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::actions::ActionPayload;

    fn prep(action: ActionKind, json: &str, mode: Mode) -> Result<ActionPayload<'_>, PayloadError> {
        prepare(action, Val::parse(json).unwrap(), mode)
    }

    #[test]
    fn identify_requires_email_address() {
        let e = prep(ActionKind::IdentifyUser, r#"{"user_id":"u1"}"#, Mode::Single).unwrap_err();
        assert_eq!(e, PayloadError::Missing { field: "email_address" });
    }

    #[test]
    fn empty_user_id_is_missing_in_single_mode_and_empty_in_batch_mode() {
        let single = prep(
            ActionKind::IdentifyUser,
            r#"{"email_address":"a@b.co","user_id":""}"#,
            Mode::Single,
        );
        assert_eq!(single.unwrap_err(), PayloadError::Missing { field: "user_id" });
        let batch = prep(
            ActionKind::IdentifyUser,
            r#"{"email_address":"a@b.co","user_id":""}"#,
            Mode::Batch,
        );
        assert_eq!(batch.unwrap_err(), PayloadError::Empty { field: "user_id" });
    }

    #[test]
    fn invalid_email_is_refused_naming_the_field() {
        let e = prep(
            ActionKind::IdentifyUser,
            r#"{"email_address":"a@localhost","user_id":"u"}"#,
            Mode::Single,
        )
        .unwrap_err();
        assert!(
            e.to_string().starts_with("email_address must be a valid email address"),
            "{e}"
        );
    }

    #[test]
    fn numeric_user_id_is_coerced_to_a_string() {
        let p = prep(
            ActionKind::IdentifyUser,
            r#"{"email_address":"a@b.co","user_id":26682}"#,
            Mode::Single,
        )
        .unwrap();
        let ActionPayload::IdentifyUser(p) = p else {
            panic!("wrong action")
        };
        assert_eq!(p.user_id.as_str(), "26682");
    }

    #[test]
    fn unknown_mapping_keys_are_dropped() {
        let p = prep(
            ActionKind::AssertRecord,
            r#"{"object":"vehicles","matching_attribute":"name","nope":1}"#,
            Mode::Single,
        );
        assert!(p.is_ok());
    }

    #[test]
    fn received_at_is_validated_even_in_single_mode() {
        let e = prep(
            ActionKind::AssertRecord,
            r#"{"object":"vehicles","matching_attribute":"name","received_at":"garbage"}"#,
            Mode::Single,
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("received_at"));
    }

    #[test]
    fn group_user_id_empty_in_batch_means_no_user_link() {
        let p = prep(
            ActionKind::GroupWorkspace,
            r#"{"domain":"acme.io","workspace_id":"w1","user_id":""}"#,
            Mode::Batch,
        )
        .unwrap();
        let ActionPayload::GroupWorkspace(p) = p else {
            panic!("wrong action")
        };
        assert!(p.user_id.is_none());
    }

    #[test]
    fn empty_object_in_batch_mode_counts_as_missing() {
        let e = prep(
            ActionKind::AssertRecord,
            r#"{"object":"","matching_attribute":"name"}"#,
            Mode::Batch,
        )
        .unwrap_err();
        assert_eq!(e, PayloadError::Empty { field: "object" });
    }
}
