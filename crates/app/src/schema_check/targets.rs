//! What a subscription will write, read from its mapping without an event: the objects, their
//! matching attributes, the attributes the action itself sets, the mapped attributes and the
//! literal values among them.

use domain::actions::ActionKind;
use segment_adapter::destination::ActionSubscription;
use serde_json::Value;

/// One object a subscription writes to.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub object: String,
    pub matching_attribute: String,
    /// Attributes the action sets itself (e.g. `user_id` and `person` on users).
    pub fixed: Vec<&'static str>,
    /// Attributes named in the mapping, with the value when it is a literal (no directive).
    pub mapped: Vec<(String, Option<Value>)>,
    /// The mapping field that names them (e.g. `user_attributes`), for messages.
    pub field: &'static str,
    /// The mapped attributes come from a directive: their names are known only per event.
    pub open: bool,
}

fn has_directive(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.keys().any(|k| k.starts_with('@')) || m.values().any(has_directive),
        Value::Array(a) => a.iter().any(has_directive),
        _ => false,
    }
}

fn literal_str(mapping: &Value, key: &str) -> Option<String> {
    mapping.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn target(
    object: String,
    matching_attribute: String,
    fixed: Vec<&'static str>,
    mapping: &Value,
    field: &'static str,
) -> Target {
    let (mapped, open) = match mapping.get(field) {
        Some(Value::Object(m)) if !m.keys().any(|k| k.starts_with('@')) => (
            m.iter()
                .map(|(k, v)| (k.clone(), (!has_directive(v)).then(|| v.clone())))
                .collect(),
            false,
        ),
        None | Some(Value::Null) => (Vec::new(), false),
        Some(_) => (Vec::new(), true),
    };
    Target {
        object,
        matching_attribute,
        fixed,
        mapped,
        field,
        open,
    }
}

/// The objects `sub` writes to. For `assertRecord` an `object` or `matching_attribute` that
/// comes from the event (a directive) cannot be known in advance: nothing is returned then;
/// likewise for the parent record of the list and note actions.
pub fn targets(sub: &ActionSubscription) -> Vec<Target> {
    let m = sub.mapping_json();
    match sub.action {
        ActionKind::IdentifyUser => vec![
            target(
                "people".into(),
                "email_addresses".into(),
                vec!["email_addresses"],
                m,
                "person_attributes",
            ),
            target(
                "users".into(),
                "user_id".into(),
                vec!["user_id", "primary_email_address", "person"],
                m,
                "user_attributes",
            ),
        ],
        ActionKind::GroupWorkspace => {
            let mut workspace_fixed = vec!["workspace_id", "company"];
            if m.get("user_id").is_some_and(|v| !v.is_null()) {
                workspace_fixed.push("users");
            }
            vec![
                target(
                    "companies".into(),
                    "domains".into(),
                    vec!["domains"],
                    m,
                    "company_attributes",
                ),
                target(
                    "workspaces".into(),
                    "workspace_id".into(),
                    workspace_fixed,
                    m,
                    "workspace_attributes",
                ),
            ]
        }
        ActionKind::AssertRecord => match (literal_str(m, "object"), literal_str(m, "matching_attribute")) {
            (Some(object), Some(matching)) => vec![target(object, matching, Vec::new(), m, "attributes")],
            _ => Vec::new(),
        },
        // The list and note actions assert their parent record first, as assertRecord does.
        ActionKind::UpsertListEntry | ActionKind::RemoveListEntry | ActionKind::CreateNote => {
            match (
                literal_str(m, "parent_object"),
                literal_str(m, "parent_matching_attribute"),
            ) {
                (Some(object), Some(matching)) => vec![target(object, matching, Vec::new(), m, "parent_attributes")],
                _ => Vec::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identify_writes_people_and_users_with_the_mapped_attributes() {
        let sub = ActionSubscription::with_default_mapping(
            "Identify users",
            ActionKind::IdentifyUser,
            None,
            &json!({"user_attributes": {"plan": {"@path": "$.traits.plan"}, "tier": "gold"}}),
        )
        .unwrap();
        let t = targets(&sub);
        assert_eq!(t.len(), 2);
        assert_eq!((t[1].object.as_str(), t[1].field), ("users", "user_attributes"));
        assert_eq!(
            t[1].mapped,
            [("plan".to_owned(), None), ("tier".to_owned(), Some(json!("gold")))]
        );
        assert!(t[0].mapped.is_empty() && !t[0].open);
    }

    #[test]
    fn assert_record_with_an_object_from_the_event_is_not_known_in_advance() {
        let sub = ActionSubscription::new(
            "any",
            ActionKind::AssertRecord,
            None,
            &json!({"object": {"@path": "$.properties.object"}, "matching_attribute": "name"}),
        )
        .unwrap();
        assert!(targets(&sub).is_empty());
    }

    #[test]
    fn attributes_from_a_directive_are_open() {
        let sub = ActionSubscription::new(
            "deals",
            ActionKind::AssertRecord,
            None,
            &json!({"object": "deals", "matching_attribute": "name", "attributes": {"@path": "$.properties"}}),
        )
        .unwrap();
        let t = targets(&sub);
        assert!(t[0].open && t[0].mapped.is_empty());
    }
}
