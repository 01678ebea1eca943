//! One configured action subscription: an FQL `subscribe`, a mapping and an action, as
//! the reference's destination runtime applies them to an event.

use domain::actions::{ActionKind, ActionPayload};
use serde_json::Value;

use crate::fql::{FqlError, Subscription};
use crate::json::Val;
use crate::mapping::{Mapping, MappingError};
use crate::pipeline::{self, fields, Mode, PayloadError};

/// The most events one batch request may carry (Attio's limit).
pub const MAX_BATCH_SIZE: usize = 10_000;
/// The reference's default `batch_size`.
pub const DEFAULT_BATCH_SIZE: usize = 1_000;

/// Batching settings of a subscription, read from its mapping's `enable_batching` and
/// `batch_size` fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batching {
    pub enabled: bool,
    pub size: usize,
}

/// A subscription that cannot be used, found when the configuration is loaded.
#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    #[error("subscribe: {0}")]
    Fql(#[from] FqlError),
    #[error("mapping: {0}")]
    Mapping(#[from] MappingError),
    #[error("mapping.object is required for assertRecord: name the Attio object to assert, e.g. \"object\": \"people\" (there is no default)")]
    MissingObject,
    #[error("mapping.{field}: {problem}")]
    Setting { field: &'static str, problem: String },
}

/// Why an event produced no request for a subscription.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejection {
    #[error("mapping failed: {0}")]
    Mapping(MappingError),
    #[error("{0}")]
    Payload(#[from] PayloadError),
}

/// An action subscription ready to run.
#[derive(Debug)]
pub struct ActionSubscription {
    pub name: String,
    pub action: ActionKind,
    subscribe: Option<Subscription>,
    mapping: Mapping,
    pub batching: Batching,
}

impl ActionSubscription {
    /// Validates a subscription. `mapping` is Segment's mapping JSON as is (directives
    /// allowed); `subscribe` is FQL (`None` = every event).
    pub fn new(
        name: impl Into<String>,
        action: ActionKind,
        subscribe: Option<&str>,
        mapping: &Value,
    ) -> Result<Self, SubscriptionError> {
        if action == ActionKind::AssertRecord && mapping.get("object").is_none() {
            return Err(SubscriptionError::MissingObject);
        }
        let subscribe = subscribe.map(Subscription::parse).transpose()?;
        let batching = batching(mapping)?;
        Ok(Self {
            name: name.into(),
            action,
            subscribe,
            mapping: Mapping::parse(mapping)?,
            batching,
        })
    }

    /// `new` with the action's default mapping under `mapping` (the reference's field
    /// defaults, as its presets use them).
    pub fn with_default_mapping(
        name: impl Into<String>,
        action: ActionKind,
        subscribe: Option<&str>,
        mapping: &Value,
    ) -> Result<Self, SubscriptionError> {
        Self::new(name, action, subscribe, &fields::with_defaults(action, mapping))
    }

    /// The reference's two presets: identify → identifyUser, group → groupWorkspace.
    pub fn presets() -> Vec<ActionSubscription> {
        fields::presets()
            .into_iter()
            .filter_map(|(name, action, subscribe)| {
                Self::new(name, action, Some(subscribe), &fields::default_mapping(action)).ok()
            })
            .collect()
    }

    pub fn subscribe_text(&self) -> Option<&str> {
        self.subscribe.as_ref().map(Subscription::as_str)
    }

    /// Whether the subscription's FQL matches the event.
    pub fn matches(&self, event: &Val<'_>) -> bool {
        self.subscribe.as_ref().is_none_or(|s| s.matches(event))
    }

    /// Maps the event and validates the result as the action's payload.
    pub fn payload<'a>(&self, event: &Val<'a>, mode: Mode) -> Result<ActionPayload<'a>, Rejection> {
        let mapped = self.mapping.apply(event).map_err(Rejection::Mapping)?;
        Ok(pipeline::prepare(self.action, mapped, mode)?)
    }

    /// Top-level event keys this subscription reads, or `None` for "any".
    pub fn referenced_roots(&self) -> Option<std::collections::BTreeSet<String>> {
        let mut roots = self.mapping.referenced_roots()?;
        roots.extend(["type", "event", "name", "userId", "properties", "traits", "context"].map(String::from));
        Some(roots)
    }
}

fn batching(mapping: &Value) -> Result<Batching, SubscriptionError> {
    let enabled = match mapping.get("enable_batching") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s == "true" => true,
        Some(Value::String(s)) if s == "false" => false,
        Some(other) => {
            return Err(SubscriptionError::Setting {
                field: "enable_batching",
                problem: format!("must be true or false, not {other}"),
            })
        }
    };
    let size = match mapping.get("batch_size") {
        None | Some(Value::Null) => DEFAULT_BATCH_SIZE,
        Some(v) => {
            let n = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            match n {
                Some(n) if n.fract() == 0.0 && n >= 1.0 && n <= MAX_BATCH_SIZE as f64 => n as usize,
                _ => {
                    return Err(SubscriptionError::Setting {
                        field: "batch_size",
                        problem: format!("must be a whole number from 1 to {MAX_BATCH_SIZE}, not {v}"),
                    })
                }
            }
        }
    };
    Ok(Batching { enabled, size })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn assert_record_without_object_is_refused_at_load() {
        let err = ActionSubscription::new(
            "s",
            ActionKind::AssertRecord,
            None,
            &json!({"matching_attribute": "name"}),
        )
        .unwrap_err();
        assert!(matches!(err, SubscriptionError::MissingObject));
        assert!(err.to_string().contains("mapping.object"));
        // The default mapping does not supply one either (deviation D4).
        let err =
            ActionSubscription::with_default_mapping("s", ActionKind::AssertRecord, None, &json!({})).unwrap_err();
        assert!(matches!(err, SubscriptionError::MissingObject));
    }

    #[test]
    fn presets_route_identify_and_group() {
        let presets = ActionSubscription::presets();
        assert_eq!(presets.len(), 2);
        let identify = Val::parse(r#"{"type":"identify","userId":"u","traits":{"email":"a@b.co"}}"#).unwrap();
        let group = Val::parse(r#"{"type":"group","groupId":"g","traits":{"website":"acme.io"}}"#).unwrap();
        assert!(presets[0].matches(&identify) && !presets[0].matches(&group));
        assert!(presets[1].matches(&group) && !presets[1].matches(&identify));
        assert!(presets[0].payload(&identify, Mode::Single).is_ok());
        assert!(presets[1].payload(&group, Mode::Single).is_ok());
    }

    #[test]
    fn batching_settings_are_read_from_the_mapping() {
        let m = json!({"object": "deals", "matching_attribute": "name", "enable_batching": "true", "batch_size": 250});
        let s = ActionSubscription::new("s", ActionKind::AssertRecord, None, &m).unwrap();
        assert_eq!(
            s.batching,
            Batching {
                enabled: true,
                size: 250
            }
        );
        let too_big = json!({"object": "deals", "matching_attribute": "name", "batch_size": 10_001});
        let err = ActionSubscription::new("s", ActionKind::AssertRecord, None, &too_big).unwrap_err();
        assert!(err.to_string().starts_with("mapping.batch_size"), "{err}");
    }

    #[test]
    fn invalid_fql_and_mapping_are_refused_with_their_reason() {
        let bad_fql = ActionSubscription::new("s", ActionKind::IdentifyUser, Some("type == \"identify\""), &json!({}));
        assert!(matches!(bad_fql, Err(SubscriptionError::Fql(_))));
        let bad_mapping =
            ActionSubscription::new("s", ActionKind::IdentifyUser, None, &json!({"user_id": {"@nope": 1}}));
        assert!(matches!(bad_mapping, Err(SubscriptionError::Mapping(_))));
    }

    #[test]
    fn rejection_names_the_field() {
        let s = ActionSubscription::presets().remove(0);
        let e = Val::parse(r#"{"type":"identify","userId":"u","traits":{"email":"not-an-email"}}"#).unwrap();
        let err = s.payload(&e, Mode::Single).unwrap_err();
        assert!(err.to_string().contains("email_address"), "{err}");
    }
}
