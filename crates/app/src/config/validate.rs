//! Whole-configuration validation: every subscription is built (FQL parsed, mapping
//! checked) and every setting checked, with all problems reported at once.

use std::collections::HashSet;
use std::path::Path;

use domain::actions::ActionKind;
use secrecy::ExposeSecret;
use segment_adapter::destination::ActionSubscription;
use segment_adapter::integrations::IntegrationsFilter;
use serde_json::Value;

use super::{source_name, ConfigError, Settings, SubscriptionSettings};

/// A configuration ready to run.
#[derive(Debug)]
pub struct ValidConfig {
    pub settings: Settings,
    pub subscriptions: Vec<ActionSubscription>,
    pub integrations: IntegrationsFilter,
    /// No subscription was configured: the reference's two presets are used.
    pub using_presets: bool,
}

/// Checks everything; the error lists every problem found.
pub fn validate(settings: Settings, file: Option<&Path>) -> Result<ValidConfig, Vec<ConfigError>> {
    let name = source_name(file);
    let mut problems = Vec::new();
    let invalid = |field: &str, problem: String| ConfigError::Invalid {
        source_name: name.clone(),
        field: field.to_owned(),
        problem,
    };
    if let Err(e) = settings.spool.validate() {
        problems.push(invalid("spool", e.to_string()));
    }
    if !matches!(settings.log.format.as_str(), "human" | "json") {
        problems.push(invalid(
            "log.format",
            format!("must be \"human\" or \"json\", not {:?}", settings.log.format),
        ));
    }
    let base = &settings.attio.base_url;
    if !(base.starts_with("http://") || base.starts_with("https://")) || base.len() < 10 {
        problems.push(invalid(
            "attio.base_url",
            format!("must be an http:// or https:// URL, not {base:?}"),
        ));
    }
    for (field, rate) in [
        ("attio.write_rate", settings.attio.write_rate),
        ("attio.read_rate", settings.attio.read_rate),
    ] {
        if rate == 0 {
            problems.push(invalid(
                field,
                "must be at least 1 (requests per second); 0 would stop every request".to_owned(),
            ));
        }
    }
    if settings.attio.timeout_secs == 0 {
        problems.push(invalid("attio.timeout_secs", "must be at least 1".to_owned()));
    }
    if settings.delivery.concurrency == 0 {
        problems.push(invalid("delivery.concurrency", "must be at least 1".to_owned()));
    }
    if settings.delivery.window < 100 {
        problems.push(invalid("delivery.window", "must be at least 100".to_owned()));
    }
    if settings.delivery.resync_after_secs == 0 {
        problems.push(invalid("delivery.resync_after_secs", "must be at least 1".to_owned()));
    }
    if settings.delivery.skip_unchanged_max_records == 0 {
        problems.push(invalid(
            "delivery.skip_unchanged_max_records",
            "must be at least 1".to_owned(),
        ));
    }
    if settings.ingest.max_event_bytes == 0 || settings.ingest.max_request_bytes < settings.ingest.max_event_bytes {
        problems.push(invalid(
            "ingest.max_request_bytes",
            "must be at least ingest.max_event_bytes, which must be positive".to_owned(),
        ));
    }
    if settings.integrations.names.is_empty() {
        problems.push(invalid(
            "integrations.names",
            "must name at least one destination".to_owned(),
        ));
    }
    let mut destination_names = HashSet::from([super::DEFAULT_DESTINATION.to_owned()]);
    for (i, d) in settings.destinations.iter().enumerate() {
        let field = format!("destinations[{i}]");
        if d.name.trim().is_empty() {
            problems.push(invalid(&format!("{field}.name"), "is empty".to_owned()));
        } else if !destination_names.insert(d.name.clone()) {
            problems.push(invalid(
                &format!("{field}.name"),
                format!(
                    "{:?} is used twice (\"default\" is the [attio] section); names must be unique",
                    d.name
                ),
            ));
        }
        if d.token.is_none() {
            problems.push(invalid(&format!("{field}.token"), "is required".to_owned()));
        }
        if !(d.base_url.starts_with("http://") || d.base_url.starts_with("https://")) {
            problems.push(invalid(
                &format!("{field}.base_url"),
                format!("must be an http:// or https:// URL, not {:?}", d.base_url),
            ));
        }
        if d.write_rate == 0 || d.read_rate == 0 {
            problems.push(invalid(
                &field,
                "write_rate and read_rate must be at least 1".to_owned(),
            ));
        }
    }
    for (i, source) in settings.ingest.sources.iter().enumerate() {
        let field = format!("ingest.sources[{i}].destinations");
        if source.destinations.is_empty() {
            problems.push(invalid(&field, "must name at least one destination".to_owned()));
        }
        for d in &source.destinations {
            if !destination_names.contains(d) {
                problems.push(invalid(
                    &field,
                    format!("{d:?} is not \"default\" nor the name of a [[destinations]] entry"),
                ));
            }
        }
        if source.write_key.expose_secret().trim().is_empty() {
            problems.push(invalid(
                &format!("ingest.sources[{i}].write_key"),
                "is empty".to_owned(),
            ));
        }
    }
    for (i, s) in settings.subscriptions.iter().enumerate() {
        if let Some(d) = &s.destination {
            if !destination_names.contains(d) {
                problems.push(ConfigError::Subscription {
                    source_name: name.clone(),
                    index: i,
                    name: s.name.clone(),
                    problem: format!("destination {d:?} is not \"default\" nor the name of a [[destinations]] entry"),
                });
            }
        }
    }
    let (subscriptions, using_presets) = if settings.subscriptions.is_empty() {
        (ActionSubscription::presets(), true)
    } else {
        match build_subscriptions(&settings.subscriptions, &name) {
            Ok(s) => (s, false),
            Err(mut e) => {
                problems.append(&mut e);
                (Vec::new(), false)
            }
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let integrations = IntegrationsFilter::new(settings.integrations.names.clone());
    Ok(ValidConfig {
        settings,
        subscriptions,
        integrations,
        using_presets,
    })
}

/// Builds every subscription, collecting all problems.
pub fn build_subscriptions(
    list: &[SubscriptionSettings],
    source_name: &str,
) -> Result<Vec<ActionSubscription>, Vec<ConfigError>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut names = HashSet::new();
    for (index, s) in list.iter().enumerate() {
        let fail = |problem: String| ConfigError::Subscription {
            source_name: source_name.to_owned(),
            index,
            name: s.name.clone(),
            problem,
        };
        if s.name.trim().is_empty() {
            problems.push(fail("name is empty".to_owned()));
            continue;
        }
        if !names.insert(s.name.clone()) {
            problems.push(fail(
                "name is used by an earlier subscription; names must be unique".to_owned(),
            ));
            continue;
        }
        let Some(action) = ActionKind::parse(&s.action) else {
            problems.push(fail(format!(
                "action {:?} is not one of {}",
                s.action,
                ActionKind::names()
            )));
            continue;
        };
        let mut mapping = match (&s.mapping, &s.mapping_json) {
            (Some(_), Some(_)) => {
                problems.push(fail("give either mapping or mapping_json, not both".to_owned()));
                continue;
            }
            (Some(m), None) => m.clone(),
            (None, Some(text)) => match serde_json::from_str::<Value>(text) {
                Ok(v) => v,
                Err(e) => {
                    problems.push(fail(format!("mapping_json is not valid JSON: {e}")));
                    continue;
                }
            },
            (None, None) if s.use_default_mapping => Value::Object(Default::default()),
            (None, None) => {
                problems.push(fail(
                    "has no mapping: give mapping (a table), mapping_json (Segment's mapping JSON) or use_default_mapping = true"
                        .to_owned(),
                ));
                continue;
            }
        };
        let Some(obj) = mapping.as_object_mut() else {
            problems.push(fail("mapping must be an object of fields".to_owned()));
            continue;
        };
        if let Some(b) = s.enable_batching {
            obj.insert("enable_batching".into(), Value::Bool(b));
        }
        if let Some(n) = s.batch_size {
            obj.insert("batch_size".into(), Value::from(n));
        }
        if let Some(m) = &s.write_mode {
            obj.insert("write_mode".into(), Value::from(m.as_str()));
        }
        if let Some(b) = s.sync_nulls {
            obj.insert("sync_nulls".into(), Value::Bool(b));
        }
        if let Some(m) = &s.multiselect {
            obj.insert("multiselect".into(), Value::from(m.as_str()));
        }
        let built = if s.use_default_mapping {
            ActionSubscription::with_default_mapping(s.name.clone(), action, s.subscribe.as_deref(), &mapping)
        } else {
            ActionSubscription::new(s.name.clone(), action, s.subscribe.as_deref(), &mapping)
        };
        match built {
            Ok(mut sub) => {
                sub.destination = s.destination.clone();
                out.push(sub)
            }
            Err(e) => problems.push(fail(e.to_string())),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_with_env;
    use std::io::Write;

    fn validate_text(text: &str) -> Result<ValidConfig, Vec<ConfigError>> {
        let mut f = tempfile::Builder::new().suffix(".toml").tempfile().expect("temp file");
        f.write_all(text.as_bytes()).expect("write");
        let settings = load_with_env(Some(f.path()), Vec::new()).expect("loads");
        validate(settings, Some(f.path()))
    }

    #[test]
    fn a_zero_rate_is_refused_with_its_field() {
        let errs = validate_text("[attio]\nwrite_rate = 0\n").unwrap_err();
        let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 1, "{text:?}");
        assert!(
            text[0].contains("attio.write_rate") && text[0].contains("at least 1"),
            "{text:?}"
        );
    }

    #[test]
    fn skip_unchanged_keys_default_on_and_zero_bounds_are_refused_with_their_fields() {
        let v = validate_text("").unwrap();
        let d = &v.settings.delivery;
        assert_eq!(
            (
                d.skip_unchanged,
                d.resync_after_secs,
                d.skip_unchanged_max_records,
                d.coalesce
            ),
            (true, 86_400, 1_000_000, true)
        );
        let errs = validate_text("[delivery]\nresync_after_secs = 0\nskip_unchanged_max_records = 0\n").unwrap_err();
        let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(text[0].contains("delivery.resync_after_secs"), "{text:?}");
        assert!(text[1].contains("delivery.skip_unchanged_max_records"), "{text:?}");
        let v = validate_text("[delivery]\nskip_unchanged = false\ncoalesce = false\n").unwrap();
        assert!(!v.settings.delivery.skip_unchanged && !v.settings.delivery.coalesce);
    }

    #[test]
    fn no_subscriptions_means_the_presets() {
        let v = validate_text("").unwrap();
        assert!(v.using_presets);
        let names: Vec<_> = v.subscriptions.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Identify User", "Group Workspace"]);
    }

    #[test]
    fn subscription_errors_name_the_file_index_name_and_field() {
        let errs = validate_text(
            r#"
[[subscriptions]]
name = "good"
action = "identifyUser"
use_default_mapping = true

[[subscriptions]]
name = "bad mapping"
action = "identifyUser"
mapping = { user_id = { "@pth" = "$.userId" } }

[[subscriptions]]
name = "bad fql"
action = "groupWorkspace"
subscribe = "type = 'group'"
use_default_mapping = true

[[subscriptions]]
name = "no object"
action = "assertRecord"
mapping_json = '{"matching_attribute": "name"}'
"#,
        )
        .unwrap_err();
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(text.len(), 3, "{text:#?}");
        assert!(
            text[0].contains("subscriptions[1] (\"bad mapping\")") && text[0].contains("@pth"),
            "{}",
            text[0]
        );
        assert!(
            text[1].contains("subscriptions[2] (\"bad fql\")") && text[1].contains("subscribe"),
            "{}",
            text[1]
        );
        assert!(
            text[2].contains("subscriptions[3] (\"no object\")") && text[2].contains("mapping.object"),
            "{}",
            text[2]
        );
        assert!(text.iter().all(|t| t.contains(".toml")));
    }

    #[test]
    fn duplicate_names_and_unknown_actions_are_refused() {
        let errs = validate_text(
            r#"
[[subscriptions]]
name = "a"
action = "identifyUser"
use_default_mapping = true

[[subscriptions]]
name = "a"
action = "identifyUser"
use_default_mapping = true

[[subscriptions]]
name = "b"
action = "trackEvent"
use_default_mapping = true
"#,
        )
        .unwrap_err();
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert!(text.iter().any(|t| t.contains("unique")), "{text:#?}");
        assert!(text.iter().any(|t| t.contains("trackEvent")), "{text:#?}");
    }

    #[test]
    fn settings_problems_are_all_reported() {
        let errs =
            validate_text("[attio]\nbase_url = \"ftp://x\"\ntimeout_secs = 0\n[log]\nformat = \"xml\"\n").unwrap_err();
        let fields: Vec<String> = errs
            .iter()
            .filter_map(|e| match e {
                ConfigError::Invalid { field, .. } => Some(field.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(fields, ["log.format", "attio.base_url", "attio.timeout_secs"]);
    }

    #[test]
    fn batching_flags_override_the_mapping() {
        let v = validate_text(
            r#"
[[subscriptions]]
name = "deals"
action = "assertRecord"
enable_batching = true
batch_size = 50
mapping_json = '{"object": "deals", "matching_attribute": "name", "attributes": {"name": {"@path": "$.properties.id"}}}'
"#,
        )
        .unwrap();
        assert!(v.subscriptions[0].batching.enabled);
        assert_eq!(v.subscriptions[0].batching.size, 50);
    }
}
