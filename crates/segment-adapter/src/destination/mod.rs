//! One configured action subscription: an FQL `subscribe`, a mapping and an action, as
//! the reference's destination runtime applies them to an event.

use chrono::{DateTime, Utc};
use domain::actions::{ActionKind, ActionPayload};
use domain::{Assertion, AttioCommand, FollowUp, Multiselect, Plan, ReceivedAtError, WriteMode};
use serde_json::Value;

use crate::fql::{FqlError, Subscription};
use crate::json::{Projection, Val};
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

/// How a subscription's asserts write, from its `write_mode`, `sync_nulls` and
/// `multiselect` keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    pub write_mode: WriteMode,
    /// `false`: a null value leaves the attribute alone instead of clearing it.
    pub sync_nulls: bool,
    pub multiselect: Multiselect,
}

impl Default for WriteOptions {
    fn default() -> Self {
        Self {
            write_mode: WriteMode::Upsert,
            sync_nulls: true,
            multiselect: Multiselect::Append,
        }
    }
}

impl WriteOptions {
    /// The keys read from a subscription (and removed from its mapping).
    pub const KEYS: [&'static str; 3] = ["write_mode", "sync_nulls", "multiselect"];

    fn apply(&self, a: &mut Assertion<'_>) {
        if !self.sync_nulls {
            a.drop_nulls();
        }
        a.set_multiselect(self.multiselect);
    }
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
    #[error("mapping.list is required for {0}: name the Attio list, e.g. \"list\": \"onboarding\"")]
    MissingList(ActionKind),
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
    /// What the FQL and the mapping can read of an event; `None`: anything.
    projection: Option<Projection>,
    pub batching: Batching,
    /// The mapping as configured (with the defaults laid under it, where asked for), without
    /// the write options (`write_mode`, `sync_nulls`, `multiselect`).
    mapping_json: Value,
    pub options: WriteOptions,
    /// The named Attio workspace this subscription delivers to (`None`: the default).
    pub destination: Option<String>,
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
        let lists = matches!(action, ActionKind::UpsertListEntry | ActionKind::RemoveListEntry);
        if lists && mapping.get("list").is_none() {
            return Err(SubscriptionError::MissingList(action));
        }
        let subscribe = subscribe.map(Subscription::parse).transpose()?;
        let batching = batching(mapping)?;
        let options = write_options(mapping)?;
        if batching.enabled && !action.batches() {
            return Err(SubscriptionError::Setting {
                field: "enable_batching",
                problem: format!("{action} sends no batch requests; remove enable_batching"),
            });
        }
        if batching.enabled && options.write_mode != WriteMode::Upsert {
            return Err(SubscriptionError::Setting {
                field: "write_mode",
                problem: format!(
                    "{} needs a lookup before each write, which batch requests cannot do; use upsert or turn batching off",
                    options.write_mode.as_str()
                ),
            });
        }
        let mut mapping = mapping.clone();
        if let Some(m) = mapping.as_object_mut() {
            for key in WriteOptions::KEYS {
                m.remove(key);
            }
        }
        let mapping_json = mapping.clone();
        let mapping = Mapping::parse(&mapping)?;
        let projection = projection(subscribe.as_ref(), &mapping);
        Ok(Self {
            name: name.into(),
            action,
            subscribe,
            mapping,
            projection,
            batching,
            mapping_json,
            options,
            destination: None,
        })
    }

    /// The single-mode plan of a payload, with this subscription's write options.
    pub fn plan<'a>(&self, payload: ActionPayload<'a>) -> Plan<'a> {
        let mut plan = payload.single_plan();
        plan.write_mode = self.options.write_mode;
        for cmd in &mut plan.commands {
            match cmd {
                AttioCommand::SimpleAssert(a) => self.options.apply(a),
                AttioCommand::BatchAssert(list) => list.iter_mut().for_each(|a| self.options.apply(a)),
            }
        }
        if let (false, Some(FollowUp::UpsertListEntry(e))) = (self.options.sync_nulls, plan.follow_up.as_mut()) {
            e.entry_values = std::mem::take(&mut e.entry_values)
                .into_iter()
                .filter(|(_, v)| v.as_str() != "null")
                .collect();
        }
        plan
    }

    /// A payload's assertion in a batch, with this subscription's write options.
    pub fn batch_assertion<'a>(
        &self,
        payload: ActionPayload<'a>,
        now: DateTime<Utc>,
    ) -> Result<Assertion<'a>, ReceivedAtError> {
        let mut a = payload.batch_assertion(now)?;
        self.options.apply(&mut a);
        Ok(a)
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

    /// The mapping as configured, directives included (for checks against the workspace).
    pub fn mapping_json(&self) -> &Value {
        &self.mapping_json
    }

    pub fn subscribe_text(&self) -> Option<&str> {
        self.subscribe.as_ref().map(Subscription::as_str)
    }

    /// Whether the subscription's FQL matches the event.
    pub fn matches(&self, event: &Val<'_>) -> bool {
        self.subscribe.as_ref().is_none_or(|s| s.matches(event))
    }

    /// Maps the event and validates the result as the action's payload. The payload
    /// borrows from the event and from the subscription's mapping.
    pub fn payload<'a>(&'a self, event: &Val<'a>, mode: Mode) -> Result<ActionPayload<'a>, Rejection> {
        let mapped = self.mapping.apply(event).map_err(Rejection::Mapping)?;
        Ok(pipeline::prepare(self.action, mapped, mode)?)
    }

    /// The top-level event keys this subscription's FQL and mapping can read, sorted, or
    /// `None` when the mapping may read any of them.
    pub fn referenced_roots(&self) -> Option<Vec<&str>> {
        self.projection.as_ref().map(|p| p.roots().collect())
    }

    /// What this subscription's FQL and mapping can read of an event (`None`: anything).
    pub fn projection(&self) -> Option<&Projection> {
        self.projection.as_ref()
    }
}

/// What the FQL reads together with what the mapping reads.
fn projection(subscribe: Option<&Subscription>, mapping: &Mapping) -> Option<Projection> {
    let mut p = mapping.projection()?.clone();
    if let Some(s) = subscribe {
        p.merge(&s.projection());
    }
    Some(p)
}

fn write_options(mapping: &Value) -> Result<WriteOptions, SubscriptionError> {
    let mut o = WriteOptions::default();
    let text = |field: &'static str| match mapping.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(other) => Err(SubscriptionError::Setting {
            field,
            problem: format!("must be a string, not {other}"),
        }),
    };
    if let Some(s) = text("write_mode")? {
        o.write_mode = WriteMode::parse(s).ok_or_else(|| SubscriptionError::Setting {
            field: "write_mode",
            problem: format!("must be \"upsert\", \"update_only\" or \"create_only\", not {s:?}"),
        })?;
    }
    if let Some(s) = text("multiselect")? {
        o.multiselect = Multiselect::parse(s).ok_or_else(|| SubscriptionError::Setting {
            field: "multiselect",
            problem: format!("must be \"append\" or \"replace\", not {s:?}"),
        })?;
    }
    o.sync_nulls = match mapping.get("sync_nulls") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(SubscriptionError::Setting {
                field: "sync_nulls",
                problem: format!("must be true or false, not {other}"),
            })
        }
    };
    Ok(o)
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
mod tests;

#[cfg(test)]
mod list_note_tests;
