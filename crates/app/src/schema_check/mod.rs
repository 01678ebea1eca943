//! The configuration checked against the workspace before the first event: every object a
//! subscription writes must exist and be active, its matching attribute must exist and be
//! unique, every attribute it writes must exist and be writable, the required attributes must
//! be filled, and literal values must fit their attribute's type. `check-config`, `serve`
//! (at start), `check-auth` and `/readyz` report the result.

mod targets;

use std::collections::HashSet;
use std::fmt;

use attio_adapter::http::validate::is_uuid;
use attio_adapter::http::value_check::{check_write, Targets};
use attio_adapter::http::{HttpAttioGateway, ObjectSchema};
use domain::ports::AttioGateway;
use domain::{GatewayError, ObjectSlug};
use segment_adapter::destination::ActionSubscription;

pub use targets::{targets, Target};

/// Something in a subscription the workspace cannot accept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SchemaProblem {
    /// The subscription's `name`.
    pub subscription: String,
    pub object: String,
    pub attribute: Option<String>,
    pub problem: String,
}

impl fmt::Display for SchemaProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "subscription {:?}: object {:?}", self.subscription, self.object)?;
        if let Some(a) = &self.attribute {
            write!(f, ", attribute {a:?}")?;
        }
        write!(f, ": {}", self.problem)
    }
}

/// The problems of one target against its object's schema (`None`: the object does not
/// exist or is not active).
pub fn check_target(subscription: &str, t: &Target, schema: Option<&ObjectSchema>) -> Vec<SchemaProblem> {
    let problem = |attribute: Option<&str>, problem: String| SchemaProblem {
        subscription: subscription.to_owned(),
        object: t.object.clone(),
        attribute: attribute.map(str::to_owned),
        problem,
    };
    let Some(schema) = schema else {
        return vec![problem(
            None,
            "the object does not exist or is not activated in this workspace".to_owned(),
        )];
    };
    let mut out = Vec::new();
    let matching = t.matching_attribute.as_str();
    if !is_uuid(matching) && !schema.is_unreadable(matching) {
        match schema.get(matching) {
            None => out.push(problem(
                Some(matching),
                "the matching attribute does not exist on this object".to_owned(),
            )),
            Some(def) if !def.is_unique => out.push(problem(
                Some(matching),
                "the matching attribute is not unique, so records cannot be matched on it (choose a unique attribute, or make it unique in Attio)".to_owned(),
            )),
            Some(_) => {}
        }
    }
    let fixed = t.fixed.iter().map(|k| (k.to_string(), None, "set by the action"));
    let mapped = t.mapped.iter().map(|(k, v)| (k.clone(), v.as_ref(), t.field));
    for (key, literal, from) in fixed.chain(mapped) {
        if is_uuid(&key) || schema.is_unreadable(&key) {
            continue;
        }
        let Some(def) = schema.get(&key) else {
            out.push(problem(
                Some(&key),
                format!("the attribute ({from}) does not exist on this object"),
            ));
            continue;
        };
        if !def.is_writable {
            out.push(problem(
                Some(&key),
                format!("the attribute ({from}, {}) is read-only", def.attribute_type),
            ));
            continue;
        }
        if let Some(value) = literal {
            if let Err(reason) = check_write(def, Targets::Unknown, value) {
                out.push(problem(
                    Some(&key),
                    format!("the literal value in {from} is refused: {reason}"),
                ));
            }
        }
    }
    if !t.open {
        let written: HashSet<&str> = t
            .fixed
            .iter()
            .copied()
            .chain(t.mapped.iter().map(|(k, _)| k.as_str()))
            .chain([matching])
            .collect();
        for def in &schema.attributes {
            if def.is_required && def.is_writable && !written.contains(def.api_slug.as_str()) {
                out.push(problem(
                    Some(&def.api_slug),
                    format!(
                        "the attribute is required and the mapping cannot fill it: Attio refuses to create a record without it (add it to {})",
                        t.field
                    ),
                ));
            }
        }
    }
    out
}

/// Checks every subscription against the workspace behind `gateway`. `Err` when the
/// workspace could not be read at all (unreachable, credentials refused).
pub async fn check<'a>(
    gateway: &HttpAttioGateway,
    subscriptions: impl IntoIterator<Item = &'a ActionSubscription>,
) -> Result<Vec<SchemaProblem>, GatewayError> {
    let active: HashSet<String> = gateway
        .list_objects()
        .await?
        .into_iter()
        .filter_map(|o| o.api_slug)
        .collect();
    let mut problems = Vec::new();
    for sub in subscriptions {
        for t in targets(sub) {
            let schema = match ObjectSlug::parse(&t.object) {
                Ok(slug) if active.contains(&t.object) => match gateway.schema(&slug).await {
                    Ok(s) => Some(s),
                    Err(e) if e.status() == Some(404) => None,
                    Err(e) => return Err(e),
                },
                _ => None,
            };
            problems.extend(check_target(&sub.name, &t, schema.as_deref()));
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::actions::ActionKind;
    use serde_json::json;

    fn users() -> ObjectSchema {
        ObjectSchema::from_reply(
            "users",
            &json!({"data":[
                {"api_slug":"user_id","type":"text","is_unique":true,"is_required":true},
                {"api_slug":"primary_email_address","type":"email-address","is_unique":true,"is_required":true},
                {"api_slug":"person","type":"record-reference"},
                {"api_slug":"nickname","type":"text"},
                {"api_slug":"logins","type":"number"},
                {"api_slug":"avatar","type":"text","is_writable":false}
            ]}),
        )
        .unwrap()
    }

    fn identify(user_attributes: serde_json::Value) -> Target {
        let sub = ActionSubscription::with_default_mapping(
            "Identify users",
            ActionKind::IdentifyUser,
            None,
            &json!({ "user_attributes": user_attributes }),
        )
        .unwrap();
        targets(&sub).remove(1)
    }

    #[test]
    fn a_missing_attribute_names_the_subscription_object_and_attribute() {
        let p = check_target(
            "Identify users",
            &identify(json!({"plan": {"@path": "$.traits.plan"}})),
            Some(&users()),
        );
        assert_eq!(p.len(), 1, "{p:?}");
        let text = p[0].to_string();
        assert!(
            text.contains("\"Identify users\"")
                && text.contains("\"users\"")
                && text.contains("\"plan\"")
                && text.contains("does not exist"),
            "{text}"
        );
    }

    #[test]
    fn read_only_attributes_and_wrong_literals_are_refused() {
        let p = check_target(
            "Identify users",
            &identify(json!({"avatar": {"@path": "$.traits.avatar"}, "logins": "many", "nickname": "ok"})),
            Some(&users()),
        );
        let text: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert_eq!(p.len(), 2, "{text:?}");
        assert!(
            text[0].contains("\"avatar\"") && text[0].contains("read-only"),
            "{text:?}"
        );
        assert!(
            text[1].contains("\"logins\"") && text[1].contains("\"many\""),
            "{text:?}"
        );
    }

    #[test]
    fn a_matching_attribute_that_is_not_unique_and_unfilled_required_attributes_are_refused() {
        let deals = ObjectSchema::from_reply(
            "deals",
            &json!({"data":[
                {"api_slug":"name","type":"text","is_required":true},
                {"api_slug":"stage","type":"status","is_required":true},
                {"api_slug":"value","type":"currency"}
            ]}),
        )
        .unwrap();
        let sub = ActionSubscription::new(
            "Deals from orders",
            ActionKind::AssertRecord,
            None,
            &json!({"object": "deals", "matching_attribute": "name",
                    "attributes": {"name": {"@path": "$.properties.order_id"}, "value": {"@path": "$.properties.total"}}}),
        )
        .unwrap();
        let p = check_target(&sub.name, &targets(&sub)[0], Some(&deals));
        let text: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert_eq!(p.len(), 2, "{text:?}");
        assert!(
            text[0].contains("\"name\"") && text[0].contains("not unique"),
            "{text:?}"
        );
        assert!(
            text[1].contains("\"stage\"") && text[1].contains("required"),
            "{text:?}"
        );
    }

    #[test]
    fn an_inactive_object_is_named() {
        let p = check_target("Identify users", &identify(json!({})), None);
        assert!(p[0].to_string().contains("not activated"), "{p:?}");
    }
}
