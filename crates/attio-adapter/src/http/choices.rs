//! What a value must name in the workspace itself: an existing select option, status or
//! workspace member. The value parser checks shapes; this checks that the named thing exists.

use domain::value::{ActorReference, AttributeValue, WriteValue};
use serde_json::Value;

/// A select option or status of an attribute (`GET .../options` or `.../statuses`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub id: String,
    pub title: String,
}

/// A workspace member (`GET /v2/workspace_members`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub email_address: String,
}

/// The non-archived choices of a `{"data":[{"id":{"option_id"|"status_id"},"title"}]}` reply.
pub fn choices_from_reply(reply: &Value) -> Vec<Choice> {
    let items = reply
        .get("data")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    items
        .iter()
        .filter(|c| !c.get("is_archived").and_then(Value::as_bool).unwrap_or(false))
        .filter_map(|c| {
            let id = c
                .get("id")
                .and_then(|id| id.get("option_id").or_else(|| id.get("status_id")));
            Some(Choice {
                id: id.and_then(Value::as_str).unwrap_or("").to_ascii_lowercase(),
                title: c.get("title")?.as_str()?.to_owned(),
            })
        })
        .collect()
}

/// The members of a `{"data":[{"id":{"workspace_member_id"},"email_address"}]}` reply.
pub fn members_from_reply(reply: &Value) -> Vec<Member> {
    let items = reply
        .get("data")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    items
        .iter()
        .map(|m| Member {
            id: m
                .pointer("/id/workspace_member_id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_ascii_lowercase(),
            email_address: m.get("email_address").and_then(Value::as_str).unwrap_or("").to_owned(),
        })
        .collect()
}

fn items(v: &WriteValue) -> &[AttributeValue] {
    match v {
        WriteValue::Clear => &[],
        WriteValue::One(one) => std::slice::from_ref(one),
        WriteValue::Many(many) => many,
    }
}

fn find(choices: &[Choice], id: Option<String>, title: Option<&str>) -> bool {
    choices.iter().any(|c| match (&id, title) {
        (Some(id), _) => c.id == *id,
        (None, Some(t)) => c.title == t,
        (None, None) => false,
    })
}

fn known(choices: &[Choice]) -> String {
    let titles: Vec<String> = choices.iter().take(20).map(|c| format!("{:?}", c.title)).collect();
    if titles.is_empty() {
        "it has none".to_owned()
    } else {
        format!("known: {}", titles.join(", "))
    }
}

/// `Ok` when every option, status and member `value` names exists. `choices` are the
/// attribute's options or statuses and `members` the workspace's members, where known
/// (`None`: not checked).
pub fn check_named(
    slug: &str,
    value: &WriteValue,
    choices: Option<&[Choice]>,
    members: Option<&[Member]>,
) -> Result<(), String> {
    for item in items(value) {
        match item {
            AttributeValue::Select(o) => {
                if let Some(choices) = choices {
                    if !find(choices, o.id().map(|i| i.to_string()), o.title()) {
                        return Err(format!(
                            "attribute {slug:?} (select) has no option {:?} ({}); Attio does not create options on write",
                            o.to_text(),
                            known(choices)
                        ));
                    }
                }
            }
            AttributeValue::Status(s) => {
                if let Some(choices) = choices {
                    if !find(choices, s.id().map(|i| i.to_string()), s.title()) {
                        return Err(format!(
                            "attribute {slug:?} (status) has no status {:?} ({}); Attio does not create statuses on write",
                            s.to_text(),
                            known(choices)
                        ));
                    }
                }
            }
            AttributeValue::ActorReference(a) => {
                if let Some(members) = members {
                    let found = match a {
                        ActorReference::WorkspaceMemberEmail(e) => {
                            members.iter().any(|m| m.email_address.eq_ignore_ascii_case(e.as_str()))
                        }
                        ActorReference::WorkspaceMember(id) => {
                            let id = id.to_string();
                            members.iter().any(|m| m.id == id)
                        }
                    };
                    if !found {
                        let shown = match a {
                            ActorReference::WorkspaceMemberEmail(e) => e.as_str().to_owned(),
                            ActorReference::WorkspaceMember(id) => id.to_string(),
                        };
                        return Err(format!(
                            "attribute {slug:?} (actor-reference) names {shown:?}, which is not a member of this workspace"
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::value::{EmailAddress, OptionRef, StatusRef};
    use serde_json::json;

    fn options() -> Vec<Choice> {
        choices_from_reply(&json!({"data":[
            {"id":{"option_id":"3FA85F64-5717-4562-B3FC-2C963F66AFA6"},"title":"B2B","is_archived":false},
            {"id":{"option_id":"00000000-0000-4000-8000-000000000001"},"title":"Old","is_archived":true}
        ]}))
    }

    #[test]
    fn an_unknown_or_archived_option_is_refused_by_title_and_id() {
        let o = options();
        let ok = WriteValue::One(AttributeValue::Select(OptionRef::parse("B2B").unwrap()));
        assert_eq!(check_named("categories", &ok, Some(&o), None), Ok(()));
        let by_id = WriteValue::One(AttributeValue::Select(
            OptionRef::parse("3fa85f64-5717-4562-b3fc-2c963f66afa6").unwrap(),
        ));
        assert_eq!(check_named("categories", &by_id, Some(&o), None), Ok(()));
        for title in ["Gold", "Old"] {
            let bad = WriteValue::Many(vec![AttributeValue::Select(OptionRef::parse(title).unwrap())]);
            let m = check_named("categories", &bad, Some(&o), None).unwrap_err();
            assert!(
                m.contains("\"categories\"") && m.contains(title) && m.contains("\"B2B\""),
                "{m}"
            );
        }
    }

    #[test]
    fn an_unknown_status_is_refused() {
        let s = choices_from_reply(&json!({"data":[{"id":{"status_id":"x"},"title":"Lead"}]}));
        let bad = WriteValue::One(AttributeValue::Status(StatusRef::parse("Done").unwrap()));
        let m = check_named("stage", &bad, Some(&s), None).unwrap_err();
        assert!(m.contains("no status \"Done\""), "{m}");
    }

    #[test]
    fn an_actor_who_is_not_a_member_is_refused() {
        let members = members_from_reply(&json!({"data":[
            {"id":{"workspace_member_id":"m1"},"email_address":"owner@example.com"}
        ]}));
        let actor = |e: &str| {
            WriteValue::One(AttributeValue::ActorReference(ActorReference::WorkspaceMemberEmail(
                EmailAddress::parse(e).unwrap().into_owned(),
            )))
        };
        assert_eq!(
            check_named("owner", &actor("Owner@example.com"), None, Some(&members)),
            Ok(())
        );
        let m = check_named("owner", &actor("x@example.com"), None, Some(&members)).unwrap_err();
        assert!(m.contains("\"owner\"") && m.contains("not a member"), "{m}");
    }

    #[test]
    fn without_the_lists_nothing_is_refused() {
        let bad = WriteValue::One(AttributeValue::Select(OptionRef::parse("Gold").unwrap()));
        assert_eq!(check_named("categories", &bad, None, None), Ok(()));
    }
}
