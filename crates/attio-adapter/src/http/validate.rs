//! Refusing, before anything is sent, an assertion Attio cannot accept: an unknown
//! attribute, a matching attribute that is not unique, a write to a read-only attribute,
//! or a value of the wrong type. Nested assertions are checked against their own object.

use std::collections::HashMap;
use std::sync::Arc;

use domain::value::AttributeType;
use domain::{AssertValue, Assertion, GatewayError, ObjectSlug};

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

/// Checks `a` and its nested assertions. `object_slugs` maps object ids to slugs (from
/// `GET /v2/objects`) so that record-reference shorthand can be checked; without it such
/// shorthand is left to Attio.
pub fn validate_assertion(
    a: &Assertion<'_>,
    schemas: &Schemas,
    object_slugs: Option<&HashMap<String, String>>,
) -> Result<(), GatewayError> {
    let object = a.object.as_str();
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
                validate_assertion(n, schemas, object_slugs)?;
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
                check_write(def, targets, &json.to_value()).map_err(|reason| rejected(object, reason))?;
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
                validate_assertion(n, schemas, object_slugs)?;
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
                    {"api_slug":"user_id","type":"text","is_unique":true},
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
        assert_eq!(validate_assertion(&a, &schemas(), None), Ok(()));
    }

    #[test]
    fn unknown_attribute_is_named_with_its_object() {
        let mut a = people();
        a.set_json("shoe_size", JsonText::trusted("42"));
        let m = message(validate_assertion(&a, &schemas(), None));
        assert!(
            m.contains("\"people\"") && m.contains("\"shoe_size\" does not exist"),
            "{m}"
        );
    }

    #[test]
    fn non_unique_matching_attribute_is_refused() {
        let mut a = Assertion::new(ObjectSlug::PEOPLE, AttributeSlug::parse("job_title").unwrap());
        a.set_json("job_title", JsonText::string("x"));
        assert!(message(validate_assertion(&a, &schemas(), None)).contains("not unique"));
    }

    #[test]
    fn write_to_read_only_attribute_is_refused() {
        let mut a = people();
        a.set_json("avatar_url", JsonText::string("x"));
        assert!(message(validate_assertion(&a, &schemas(), None)).contains("cannot be written"));
    }

    #[test]
    fn wrong_type_names_attribute_type_and_value() {
        let mut a = people();
        a.set_json("age", JsonText::string("forty"));
        let m = message(validate_assertion(&a, &schemas(), None));
        assert!(m.contains("\"age\" (number)") && m.contains("\"forty\""), "{m}");
    }

    #[test]
    fn nested_assertion_is_checked_against_its_own_object() {
        let mut inner = people();
        inner.set_json("nickname", JsonText::string("x")); // exists on users, not people
        let mut outer = Assertion::new(ObjectSlug::USERS, AttributeSlug::USER_ID);
        outer.set_json("user_id", JsonText::string("u1"));
        outer.set("person", AssertValue::Nested(Box::new(inner)));
        let m = message(validate_assertion(&outer, &schemas(), None));
        assert!(m.contains("\"people\"") && m.contains("\"nickname\""), "{m}");
        let mut objects = Vec::new();
        objects_in(&outer, &mut objects);
        assert_eq!(objects, [&ObjectSlug::USERS, &ObjectSlug::PEOPLE]);
    }

    #[test]
    fn nested_assertion_into_a_non_reference_attribute_is_refused() {
        let mut outer = Assertion::new(ObjectSlug::USERS, AttributeSlug::USER_ID);
        outer.set("nickname", AssertValue::Nested(Box::new(people())));
        assert!(message(validate_assertion(&outer, &schemas(), None)).contains("only record-reference"));
    }

    #[test]
    fn reference_shorthand_is_checked_against_the_resolved_target_object() {
        let mut a = Assertion::new(ObjectSlug::USERS, AttributeSlug::USER_ID);
        a.set_json("user_id", JsonText::string("u1"));
        a.set_json("person", JsonText::string("not-an-email"));
        assert_eq!(
            validate_assertion(&a, &schemas(), None),
            Ok(()),
            "unknown targets are left to Attio"
        );
        let slugs = HashMap::from([("oid-people".to_owned(), "people".to_owned())]);
        assert!(needs_object_slugs(&a, &schemas()));
        let m = message(validate_assertion(&a, &schemas(), Some(&slugs)));
        assert!(m.contains("\"person\"") && m.contains("not-an-email"), "{m}");
        a.set_json("person", JsonText::string("a@b.co"));
        assert_eq!(validate_assertion(&a, &schemas(), Some(&slugs)), Ok(()));
    }

    #[test]
    fn uuid_detection() {
        assert!(is_uuid("3fa85f64-5717-4562-b3fc-2c963f66afa6"));
        assert!(!is_uuid("email_addresses"));
    }
}
