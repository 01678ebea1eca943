//! Refusing, before anything is sent, an assertion Attio cannot accept: an unknown
//! attribute, a matching attribute that is missing or not unique, a write to a read-only
//! attribute, a value of the wrong type or with too many values, a select option, status or
//! workspace member that does not exist, a required attribute cleared. Nested assertions are
//! checked against their own object.

use std::collections::HashMap;
use std::sync::Arc;

use domain::value::AttributeType;
use domain::{AssertValue, Assertion, GatewayError, ObjectSlug};

use domain::value::WriteValue;

use super::choices::{check_named, Choice, Member};
use super::schema::ObjectSchema;
use super::value_check::{allowed_object_ids, check_write, Targets};

/// Every object an assertion writes to (itself and its nested assertions), without repeats.
pub fn objects_in<'x>(a: &'x Assertion<'_>, out: &mut Vec<&'x ObjectSlug>) {
    if !out.contains(&&a.object) {
        out.push(&a.object);
    }
    for (_, v) in &a.values {
        if let AssertValue::Nested(n) = v {
            objects_in(n, out);
        }
    }
}

/// Attribute keys may be an attribute ID (a UUID) instead of a slug; those are not checked.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn rejected(object: &str, msg: String) -> GatewayError {
    GatewayError::Rejected(format!("refused before sending to Attio: object {object:?}: {msg}"))
}

/// Schemas by object slug, for every object of [`objects_in`].
pub type Schemas = HashMap<String, Arc<ObjectSchema>>;

/// Options or statuses by (object slug, attribute slug).
pub type Choices = HashMap<(String, String), Arc<Vec<Choice>>>;

/// What is known of the workspace for checking assertions. Anything `None` or absent is
/// not checked (left to Attio).
#[derive(Debug, Clone, Copy)]
pub struct Workspace<'w> {
    pub schemas: &'w Schemas,
    /// Object slugs by object id (from `GET /v2/objects`), for record-reference shorthand.
    pub object_slugs: Option<&'w HashMap<String, String>>,
    pub choices: Option<&'w Choices>,
    pub members: Option<&'w [Member]>,
}

impl<'w> Workspace<'w> {
    /// Only the attribute lists.
    pub fn of(schemas: &'w Schemas) -> Self {
        Self {
            schemas,
            object_slugs: None,
            choices: None,
            members: None,
        }
    }
}

/// The (object, attribute) pairs of select and status attributes `a` writes to, and whether
/// it writes an actor reference: what must be fetched beyond the attribute lists.
pub fn named_lookups(a: &Assertion<'_>, schemas: &Schemas, choices: &mut Vec<(String, String, AttributeType)>) -> bool {
    let mut actors = false;
    let schema = schemas.get(a.object.as_str());
    for (key, value) in &a.values {
        match value {
            AssertValue::Json(_) => {
                let Some(def) = schema.and_then(|s| s.get(key)) else {
                    continue;
                };
                match def.attribute_type {
                    AttributeType::Select | AttributeType::Status => {
                        let pair = (a.object.as_str().to_owned(), def.api_slug.clone(), def.attribute_type);
                        if !choices.contains(&pair) {
                            choices.push(pair);
                        }
                    }
                    AttributeType::ActorReference => actors = true,
                    _ => {}
                }
            }
            AssertValue::Nested(n) => actors |= named_lookups(n, schemas, choices),
            AssertValue::RecordIdOfPreviousReply => {}
        }
    }
    actors
}

/// Whether checking `a` needs object slugs by id (it writes a value to a record-reference
/// attribute, whose allowed targets the schema names by object id).
pub fn needs_object_slugs(a: &Assertion<'_>, schemas: &Schemas) -> bool {
    let schema = schemas.get(a.object.as_str());
    a.values.iter().any(|(key, value)| match value {
        AssertValue::Json(_) => schema
            .and_then(|s| s.get(key))
            .is_some_and(|d| d.attribute_type == AttributeType::RecordReference),
        AssertValue::Nested(n) => needs_object_slugs(n, schemas),
        AssertValue::RecordIdOfPreviousReply => false,
    })
}

/// Checks `a` and its nested assertions against what is known of the workspace.
pub fn validate_assertion(a: &Assertion<'_>, ws: Workspace<'_>) -> Result<(), GatewayError> {
    let object = a.object.as_str();
    let (schemas, object_slugs) = (ws.schemas, ws.object_slugs);
    let Some(schema) = schemas.get(object) else {
        return Err(rejected(object, "its attributes could not be read".into()));
    };
    let matching = a.matching_attribute.as_str();
    if !is_uuid(matching) && !schema.is_unreadable(matching) {
        match schema.get(matching) {
            None => {
                return Err(rejected(
                    object,
                    format!("matching attribute {matching:?} does not exist on this object"),
                ))
            }
            Some(def) if !def.is_unique => {
                return Err(rejected(
                    object,
                    format!("matching attribute {matching:?} is not unique, so records cannot be matched on it"),
                ))
            }
            Some(_) => {}
        }
    }
    for (key, value) in &a.values {
        let key = key.as_ref();
        if is_uuid(key) || schema.is_unreadable(key) {
            if let AssertValue::Nested(n) = value {
                validate_assertion(n, ws)?;
            }
            continue;
        }
        let Some(def) = schema.get(key) else {
            return Err(rejected(
                object,
                format!("attribute {key:?} does not exist on this object"),
            ));
        };
        if !def.is_writable {
            return Err(rejected(
                object,
                format!("attribute {key:?} ({}) cannot be written", def.attribute_type),
            ));
        }
        match value {
            AssertValue::Json(json) => {
                let ids = allowed_object_ids(def);
                let slugs: Option<Vec<&str>> = match object_slugs {
                    Some(map) if !ids.is_empty() => ids.iter().map(|id| map.get(*id).map(String::as_str)).collect(),
                    _ => None,
                };
                let targets = slugs.as_deref().map_or(Targets::Unknown, Targets::Known);
                let parsed = check_write(def, targets, &json.to_value()).map_err(|reason| rejected(object, reason))?;
                match parsed {
                    Some(WriteValue::Clear) if def.is_required => {
                        return Err(rejected(
                            object,
                            format!("attribute {key:?} is required, so it cannot be cleared (the value is empty)"),
                        ))
                    }
                    Some(value) => {
                        // Only selects and statuses have choices (the look-up allocates its key).
                        let named = matches!(def.attribute_type, AttributeType::Select | AttributeType::Status);
                        let choices = ws
                            .choices
                            .filter(|_| named)
                            .and_then(|c| c.get(&(object.to_owned(), key.to_owned())))
                            .map(|c| c.as_slice());
                        check_named(key, &value, choices, ws.members).map_err(|reason| rejected(object, reason))?;
                    }
                    None => {}
                }
            }
            AssertValue::Nested(n) => {
                if def.attribute_type != AttributeType::RecordReference {
                    return Err(rejected(
                        object,
                        format!(
                            "attribute {key:?} ({}) cannot take a nested {:?} record; only record-reference attributes can",
                            def.attribute_type,
                            n.object.as_str()
                        ),
                    ));
                }
                validate_assertion(n, ws)?;
            }
            AssertValue::RecordIdOfPreviousReply => {
                if def.attribute_type != AttributeType::RecordReference {
                    return Err(rejected(
                        object,
                        format!(
                            "attribute {key:?} ({}) cannot take a record id; only record-reference attributes can",
                            def.attribute_type
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{AttributeSlug, JsonText};
    use serde_json::json;

    fn schema(object: &str, attrs: serde_json::Value) -> (String, Arc<ObjectSchema>) {
        let s = ObjectSchema::from_reply(object, &json!({ "data": attrs })).unwrap();
        (object.to_owned(), Arc::new(s))
    }

    fn schemas() -> Schemas {
        HashMap::from([
            schema(
                "people",
                json!([
                    {"api_slug":"email_addresses","type":"email-address","is_unique":true,"is_multiselect":true},
                    {"api_slug":"job_title","type":"text"},
                    {"api_slug":"age","type":"number"},
                    {"api_slug":"avatar_url","type":"text","is_writable":false}
                ]),
            ),
            schema(
                "users",
                json!([
                    {"api_slug":"user_id","type":"text","is_unique":true,"is_required":true},
                    {"api_slug":"person","type":"record-reference",
                     "config":{"record_reference":{"allowed_object_ids":["oid-people"]}}},
                    {"api_slug":"nickname","type":"text"}
                ]),
            ),
        ])
    }

    fn people() -> Assertion<'static> {
        let mut a = Assertion::new(ObjectSlug::PEOPLE, AttributeSlug::EMAIL_ADDRESSES);
        a.set_json("email_addresses", JsonText::string("a@b.co"));
        a
    }

    fn message(r: Result<(), GatewayError>) -> String {
        match r {
            Err(GatewayError::Rejected(m)) => m,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_assertion_passes() {
        let mut a = people();
        a.set_json("age", JsonText::trusted("42"));
        a.set_json("3fa85f64-5717-4562-b3fc-2c963f66afa6", JsonText::trusted("1"));
        assert_eq!(validate_assertion(&a, Workspace::of(&schemas())), Ok(()));
    }

    #[test]
    fn unknown_attribute_is_named_with_its_object() {
        let mut a = people();
        a.set_json("shoe_size", JsonText::trusted("42"));
        let m = message(validate_assertion(&a, Workspace::of(&schemas())));
        assert!(
            m.contains("\"people\"") && m.contains("\"shoe_size\" does not exist"),
            "{m}"
        );
    }

    #[test]
    fn non_unique_matching_attribute_is_refused() {
        let mut a = Assertion::new(ObjectSlug::PEOPLE, AttributeSlug::parse("job_title").unwrap());
        a.set_json("job_title", JsonText::string("x"));
        assert!(message(validate_assertion(&a, Workspace::of(&schemas()))).contains("not unique"));
    }

    #[test]
    fn write_to_read_only_attribute_is_refused() {
        let mut a = people();
        a.set_json("avatar_url", JsonText::string("x"));
        assert!(message(validate_assertion(&a, Workspace::of(&schemas()))).contains("cannot be written"));
    }

    #[test]
    fn wrong_type_names_attribute_type_and_value() {
        let mut a = people();
        a.set_json("age", JsonText::string("forty"));
        let m = message(validate_assertion(&a, Workspace::of(&schemas())));
        assert!(m.contains("\"age\" (number)") && m.contains("\"forty\""), "{m}");
    }

    #[test]
    fn nested_assertion_is_checked_against_its_own_object() {
        let mut inner = people();
        inner.set_json("nickname", JsonText::string("x")); // exists on users, not people
        let mut outer = Assertion::new(ObjectSlug::USERS, AttributeSlug::USER_ID);
        outer.set_json("user_id", JsonText::string("u1"));
        outer.set("person", AssertValue::Nested(Box::new(inner)));
        let m = message(validate_assertion(&outer, Workspace::of(&schemas())));
        assert!(m.contains("\"people\"") && m.contains("\"nickname\""), "{m}");
        let mut objects = Vec::new();
        objects_in(&outer, &mut objects);
        assert_eq!(objects, [&ObjectSlug::USERS, &ObjectSlug::PEOPLE]);
    }

    #[test]
    fn nested_assertion_into_a_non_reference_attribute_is_refused() {
        let mut outer = Assertion::new(ObjectSlug::USERS, AttributeSlug::USER_ID);
        outer.set("nickname", AssertValue::Nested(Box::new(people())));
        assert!(message(validate_assertion(&outer, Workspace::of(&schemas()))).contains("only record-reference"));
    }

    #[test]
    fn reference_shorthand_is_checked_against_the_resolved_target_object() {
        let mut a = Assertion::new(ObjectSlug::USERS, AttributeSlug::USER_ID);
        a.set_json("user_id", JsonText::string("u1"));
        a.set_json("person", JsonText::string("not-an-email"));
        assert_eq!(
            validate_assertion(&a, Workspace::of(&schemas())),
            Ok(()),
            "unknown targets are left to Attio"
        );
        let slugs = HashMap::from([("oid-people".to_owned(), "people".to_owned())]);
        assert!(needs_object_slugs(&a, &schemas()));
        let all = schemas();
        let ws = Workspace {
            object_slugs: Some(&slugs),
            ..Workspace::of(&all)
        };
        let m = message(validate_assertion(&a, ws));
        assert!(m.contains("\"person\"") && m.contains("not-an-email"), "{m}");
        a.set_json("person", JsonText::string("a@b.co"));
        assert_eq!(validate_assertion(&a, ws), Ok(()));
    }

    #[test]
    fn clearing_a_required_attribute_is_refused() {
        let mut a = Assertion::new(ObjectSlug::USERS, AttributeSlug::USER_ID);
        a.set_json("user_id", JsonText::trusted("null"));
        let m = message(validate_assertion(&a, Workspace::of(&schemas())));
        assert!(m.contains("\"user_id\" is required"), "{m}");
    }

    #[test]
    fn an_unknown_select_option_is_refused_when_the_options_are_known() {
        let mut all = schemas();
        all.extend([schema(
            "companies",
            json!([
                {"api_slug":"domains","type":"domain","is_unique":true,"is_multiselect":true},
                {"api_slug":"categories","type":"select","is_multiselect":true}
            ]),
        )]);
        let mut a = Assertion::new(ObjectSlug::COMPANIES, AttributeSlug::DOMAINS);
        a.set_json("domains", JsonText::string("acme.com"));
        a.set_json("categories", JsonText::string("Gold"));
        let mut lookups = Vec::new();
        assert!(!named_lookups(&a, &all, &mut lookups));
        assert_eq!(
            lookups,
            [("companies".into(), "categories".into(), AttributeType::Select)]
        );
        assert_eq!(validate_assertion(&a, Workspace::of(&all)), Ok(()), "options unknown");
        let choices = Choices::from([(
            ("companies".to_owned(), "categories".to_owned()),
            Arc::new(vec![Choice {
                id: String::new(),
                title: "B2B".into(),
            }]),
        )]);
        let ws = Workspace {
            choices: Some(&choices),
            ..Workspace::of(&all)
        };
        let m = message(validate_assertion(&a, ws));
        assert!(m.contains("\"companies\"") && m.contains("no option \"Gold\""), "{m}");
    }

    #[test]
    fn uuid_detection() {
        assert!(is_uuid("3fa85f64-5717-4562-b3fc-2c963f66afa6"));
        assert!(!is_uuid("email_addresses"));
    }
}
