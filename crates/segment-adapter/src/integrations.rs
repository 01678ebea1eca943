//! The `integrations` object: whether an event is addressed to this destination.
//!
//! For a configured destination name `D` (case-sensitive):
//! * `integrations[D] == false` → not delivered;
//! * `integrations[D] == true` or an object (destination options) → delivered;
//! * otherwise (absent, or any other value) → delivered unless `All` is `false`.
//!
//! Several names can be configured (e.g. `Attio (Actions)` and an instance name). When
//! the event names more than one of them, an explicit `false` wins over `true`: an opt-out
//! is never overridden by another alias. `All` is `true` when absent; a non-boolean `All`
//! (which the Segment libraries never send) is read leniently as `true`. An
//! `integrations` value that is not an object is ignored (delivered).

use crate::json::Val;

/// The catalog name of the destination this service replaces.
pub const DEFAULT_NAME: &str = "Attio (Actions)";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationsFilter {
    names: Vec<String>,
}

impl Default for IntegrationsFilter {
    fn default() -> Self {
        IntegrationsFilter {
            names: vec![DEFAULT_NAME.to_owned()],
        }
    }
}

/// What one destination key says about delivery.
enum Verdict {
    Enabled,
    Disabled,
    Silent,
}

impl IntegrationsFilter {
    /// A filter answering to any of `names` (case-sensitive).
    pub fn new(names: Vec<String>) -> Self {
        IntegrationsFilter { names }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether `event` (a whole Segment event) is addressed to this destination.
    pub fn allows(&self, event: &Val<'_>) -> bool {
        let Some(integrations) = event.get("integrations").and_then(Val::as_obj) else {
            return true;
        };
        let mut enabled = false;
        for name in &self.names {
            match verdict(integrations.get(name)) {
                Verdict::Disabled => return false,
                Verdict::Enabled => enabled = true,
                Verdict::Silent => {}
            }
        }
        if enabled {
            return true;
        }
        !matches!(integrations.get("All"), Some(Val::Bool(false)))
    }
}

fn verdict(value: Option<&Val<'_>>) -> Verdict {
    match value {
        Some(Val::Bool(false)) => Verdict::Disabled,
        Some(Val::Bool(true) | Val::Obj(_)) => Verdict::Enabled,
        _ => Verdict::Silent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(filter: &IntegrationsFilter, event: &str) -> bool {
        filter.allows(&Val::parse(event).unwrap())
    }

    fn default_allows(integrations: &str) -> bool {
        allows(
            &IntegrationsFilter::default(),
            &format!(r#"{{"type":"track","integrations":{integrations}}}"#),
        )
    }

    #[test]
    fn absent_integrations_object_delivers() {
        assert!(allows(&IntegrationsFilter::default(), r#"{"type":"track"}"#));
    }

    #[test]
    fn empty_integrations_object_delivers() {
        assert!(default_allows("{}"));
    }

    #[test]
    fn all_false_stops_delivery() {
        assert!(!default_allows(r#"{"All": false}"#));
    }

    #[test]
    fn all_false_with_destination_true_delivers() {
        assert!(default_allows(r#"{"All": false, "Attio (Actions)": true}"#));
    }

    #[test]
    fn destination_options_object_counts_as_enabled() {
        assert!(default_allows(r#"{"All": false, "Attio (Actions)": {"foo": 1}}"#));
    }

    #[test]
    fn destination_false_stops_delivery() {
        assert!(!default_allows(r#"{"Attio (Actions)": false}"#));
    }

    #[test]
    fn destination_false_wins_over_all_true() {
        assert!(!default_allows(r#"{"All": true, "Attio (Actions)": false}"#));
    }

    #[test]
    fn names_are_case_sensitive() {
        assert!(!default_allows(r#"{"All": false, "attio (actions)": true}"#));
    }

    #[test]
    fn short_name_is_not_an_alias_unless_configured() {
        assert!(!default_allows(r#"{"All": false, "Attio": true}"#));
        let with_alias = IntegrationsFilter::new(vec![DEFAULT_NAME.into(), "Attio".into()]);
        assert!(allows(
            &with_alias,
            r#"{"integrations": {"All": false, "Attio": true}}"#
        ));
    }

    #[test]
    fn an_explicit_false_on_any_configured_name_wins_over_true_on_another() {
        let filter = IntegrationsFilter::new(vec!["Attio (Actions)".into(), "Attio".into()]);
        assert!(!allows(
            &filter,
            r#"{"integrations": {"Attio (Actions)": true, "Attio": false}}"#
        ));
        assert!(!allows(
            &filter,
            r#"{"integrations": {"Attio": false, "Attio (Actions)": true}}"#
        ));
    }

    #[test]
    fn non_boolean_all_is_read_as_true() {
        assert!(default_allows(r#"{"All": "false"}"#));
        assert!(default_allows(r#"{"All": null}"#));
        assert!(default_allows(r#"{"All": 0}"#));
    }

    #[test]
    fn non_boolean_non_object_destination_value_defers_to_all() {
        assert!(!default_allows(r#"{"All": false, "Attio (Actions)": "yes"}"#));
        assert!(default_allows(r#"{"Attio (Actions)": 0}"#));
    }

    #[test]
    fn integrations_that_is_not_an_object_is_ignored() {
        assert!(default_allows("null"));
        assert!(default_allows(r#""All""#));
    }

    #[test]
    fn no_configured_names_follows_all() {
        let filter = IntegrationsFilter::new(vec![]);
        assert!(allows(&filter, r#"{"integrations": {}}"#));
        assert!(!allows(&filter, r#"{"integrations": {"All": false}}"#));
    }
}
