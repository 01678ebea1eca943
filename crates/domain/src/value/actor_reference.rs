//! Actor-reference values: only workspace members can be written.

use serde_json::{json, Value};

use super::email::{EmailAddress, EmailError};
use super::error::ValueProblem;
use super::json_form::{only_keys, required_str, wrong_type};
use super::uuid::{Uuid, UuidError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActorReferenceError {
    #[error("the workspace member's email address {0}")]
    Email(#[from] EmailError),
    #[error("referenced_actor_id {0}")]
    Id(#[from] UuidError),
    #[error("only \"workspace-member\" actors can be written, not \"{0}\"")]
    ActorType(String),
}

/// A workspace member, by email address or by actor id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ActorReference {
    WorkspaceMemberEmail(EmailAddress<'static>),
    WorkspaceMember(Uuid),
}

impl ActorReference {
    /// `{"workspace_member_email_address": …}` or
    /// `{"referenced_actor_type": "workspace-member", "referenced_actor_id": …}`.
    pub fn to_write_json(&self) -> Value {
        match self {
            Self::WorkspaceMemberEmail(email) => json!({ "workspace_member_email_address": email.as_str() }),
            Self::WorkspaceMember(id) => json!({
                "referenced_actor_type": "workspace-member",
                "referenced_actor_id": id.to_string(),
            }),
        }
    }
}

fn member_email(s: &str) -> Result<ActorReference, ActorReferenceError> {
    let email = EmailAddress::parse(s.trim())?.into_owned();
    Ok(ActorReference::WorkspaceMemberEmail(email))
}

/// A member's email, or either object form.
pub(super) fn actor_reference_from_json(v: &Value) -> Result<ActorReference, ValueProblem> {
    match v {
        Value::String(s) => Ok(member_email(s)?),
        Value::Object(map) if map.contains_key("workspace_member_email_address") => {
            only_keys(map, &["workspace_member_email_address"])?;
            Ok(member_email(required_str(map, "workspace_member_email_address")?)?)
        }
        Value::Object(map) => {
            only_keys(map, &["referenced_actor_type", "referenced_actor_id"])?;
            let actor_type = required_str(map, "referenced_actor_type")?;
            if actor_type != "workspace-member" {
                return Err(ActorReferenceError::ActorType(actor_type.to_owned()).into());
            }
            let id = Uuid::parse(required_str(map, "referenced_actor_id")?).map_err(ActorReferenceError::from)?;
            Ok(ActorReference::WorkspaceMember(id))
        }
        other => Err(wrong_type(
            other,
            "a workspace member's email or {\"workspace_member_email_address\"} or {\"referenced_actor_type\", \"referenced_actor_id\"}",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "50cf242c-7fa3-4cad-87d0-75b1af71c57b";

    #[test]
    fn email_shorthand_and_both_object_forms() {
        let by_email = actor_reference_from_json(&json!("alice@attio.com")).unwrap();
        assert_eq!(
            by_email.to_write_json(),
            json!({"workspace_member_email_address": "alice@attio.com"})
        );
        assert_eq!(
            actor_reference_from_json(&json!({"workspace_member_email_address": "alice@attio.com"})),
            Ok(by_email)
        );
        let by_id = json!({"referenced_actor_type": "workspace-member", "referenced_actor_id": ID});
        assert_eq!(actor_reference_from_json(&by_id).unwrap().to_write_json(), by_id);
    }

    #[test]
    fn other_actors_and_bad_ids_are_refused() {
        assert_eq!(
            actor_reference_from_json(&json!({"referenced_actor_type": "api-token", "referenced_actor_id": ID}))
                .unwrap_err()
                .to_string(),
            "is not a valid actor reference: only \"workspace-member\" actors can be written, not \"api-token\""
        );
        assert_eq!(
            actor_reference_from_json(&json!({"referenced_actor_type": "workspace-member", "referenced_actor_id": "x"}))
                .unwrap_err()
                .to_string(),
            "is not a valid actor reference: referenced_actor_id is not a hyphenated UUID (8-4-4-4-12 hexadecimal digits)"
        );
        assert_eq!(
            actor_reference_from_json(&json!("alice")).unwrap_err().to_string(),
            "is not a valid actor reference: the workspace member's email address has no '@'"
        );
        assert!(actor_reference_from_json(&json!({"referenced_actor_type": "workspace-member"})).is_err());
        assert!(actor_reference_from_json(&json!({"workspace_member_email_address": "a@b.co", "x": 1})).is_err());
        assert!(actor_reference_from_json(&json!(true)).is_err());
    }
}
