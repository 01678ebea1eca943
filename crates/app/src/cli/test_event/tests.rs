use segment_adapter::integrations::IntegrationsFilter;

use super::*;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-01-02T03:04:05.678Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn output(subs: Vec<ActionSubscription>, events: &[&str], as_json: bool) -> (String, usize) {
    output_of(
        &Router::new(IntegrationsFilter::default(), subs, Vec::new()),
        events,
        as_json,
    )
}

fn output_of(router: &Router, events: &[&str], as_json: bool) -> (String, usize) {
    let events: Vec<String> = events.iter().map(|s| s.to_string()).collect();
    let mut out = Vec::new();
    let rejected = run(router, &events, "https://api.attio.com", now(), as_json, &mut out).unwrap();
    (String::from_utf8(out).unwrap(), rejected)
}

#[test]
fn identify_prints_the_two_requests() {
    let sub = inline_subscription("identifyUser", None, None, true, false).unwrap();
    let (text, rejected) = output(
        vec![sub],
        &[r#"{"type":"identify","userId":"u1","traits":{"email":"a@b.co"}}"#],
        false,
    );
    assert_eq!(rejected, 0);
    assert!(text.contains("PUT https://api.attio.com/v2/objects/people/records/simple?matching_attribute=email_addresses&append_to_existing_values=true"), "{text}");
    assert!(text.contains("\"user_id\": \"u1\""), "{text}");
}

#[test]
fn rejected_event_prints_the_reason_and_counts() {
    let sub = inline_subscription("identifyUser", None, None, true, false).unwrap();
    let (text, rejected) = output(
        vec![sub],
        &[r#"{"type":"identify","userId":"u1","traits":{"email":"nope"}}"#],
        false,
    );
    assert_eq!(rejected, 1);
    assert!(text.contains("REJECTED: email_address"), "{text}");
}

#[test]
fn batching_prints_one_batch_request_as_json() {
    let sub = inline_subscription("identifyUser", None, None, true, true).unwrap();
    let (text, _) = output(
        vec![sub],
        &[
            r#"{"type":"identify","userId":"u1","traits":{"email":"a@b.co"}}"#,
            r#"{"type":"identify","userId":"u2","traits":{"email":"c@d.co"}}"#,
        ],
        true,
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    let batch = v
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e.get("batch_of").is_some())
        .unwrap();
    assert_eq!(batch["batch_of"], 2);
    assert_eq!(batch["requests"][0]["url"], "https://api.attio.com/v2/batch/records");
    assert_eq!(batch["requests"][0]["body"]["assertions"][1]["values"]["user_id"], "u2");
    assert_eq!(
        batch["requests"][0]["body"]["assertions"][0]["received_at"],
        "2030-01-02T03:04:05.678Z"
    );
}

#[test]
fn not_subscribed_and_filtered_events_say_so() {
    let sub = inline_subscription("identifyUser", None, Some("type = \"identify\""), true, false).unwrap();
    let (text, _) = output(
        vec![sub],
        &[
            r#"{"type":"track","event":"x","userId":"u"}"#,
            r#"{"type":"identify","userId":"u","integrations":{"All":false}}"#,
        ],
        false,
    );
    assert!(text.contains("does not match"), "{text}");
    assert!(text.contains("integrations object"), "{text}");
}

fn batching_sub(size: usize) -> ActionSubscription {
    let mapping = json!({"batch_size": size});
    inline_subscription("identifyUser", Some(&mapping.to_string()), None, true, true).unwrap()
}

#[test]
fn batches_are_cut_at_the_subscription_batch_size() {
    let events: Vec<String> = (0..5)
        .map(|n| format!(r#"{{"type":"identify","userId":"u{n}","traits":{{"email":"u{n}@b.co"}}}}"#))
        .collect();
    let refs: Vec<&str> = events.iter().map(String::as_str).collect();
    let (text, _) = output(vec![batching_sub(2)], &refs, true);
    let v: Value = serde_json::from_str(&text).unwrap();
    let sizes: Vec<u64> = v
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.get("batch_of").and_then(Value::as_u64))
        .collect();
    assert_eq!(sizes, vec![2, 2, 1]);
}

#[test]
fn mapping_is_laid_over_the_defaults_only_with_the_flag_whether_empty_or_not() {
    let event = r#"{"type":"identify","userId":"u1","traits":{"email":"a@b.co"}}"#;
    for mapping in ["{}", r#"{"user_attributes":{"plan":"pro"}}"#] {
        let with = inline_subscription("identifyUser", Some(mapping), None, true, false).unwrap();
        let (text, rejected) = output(vec![with], &[event], false);
        assert_eq!(rejected, 0, "{mapping}: {text}");
        let without = inline_subscription("identifyUser", Some(mapping), None, false, false).unwrap();
        let (text, rejected) = output(vec![without], &[event], false);
        assert_eq!(rejected, 1, "{mapping} without the defaults: {text}");
    }
}

#[test]
fn several_subscriptions_give_one_line_per_event_naming_those_that_matched() {
    let identify = ActionSubscription::with_default_mapping(
        "Identify",
        ActionKind::IdentifyUser,
        Some(r#"type = "identify""#),
        &json!({}),
    )
    .unwrap();
    let group = ActionSubscription::with_default_mapping(
        "Group",
        ActionKind::GroupWorkspace,
        Some(r#"type = "group""#),
        &json!({}),
    )
    .unwrap();
    let (text, _) = output(
        vec![identify, group],
        &[
            r#"{"type":"identify","userId":"u1","traits":{"email":"a@b.co"}}"#,
            r#"{"type":"track","event":"x","userId":"u"}"#,
        ],
        false,
    );
    let event_lines: Vec<&str> = text.lines().filter(|l| l.starts_with("event ")).collect();
    assert_eq!(
        event_lines,
        vec!["event 1: matches Identify", "event 2: matches no subscription"],
        "{text}"
    );
    assert!(!text.contains("does not match"), "{text}");
}
#[test]
fn list_actions_print_the_parent_assert_then_the_entry_request() {
    let parent = r#""parent_object":"people","parent_matching_attribute":"email_addresses","parent_attributes":{"email_addresses":{"@path":"$.properties.email"}}"#;
    let upsert = format!(r#"{{"list":"onboarding",{parent},"entry_attributes":{{"stage":"Paying"}}}}"#);
    let remove = format!(r#"{{"list":"onboarding",{parent}}}"#);
    let event = r#"{"type":"track","event":"Paid","userId":"u","properties":{"email":"p@b.co"}}"#;
    for (action, mapping, expected) in [
        (
            "upsertListEntry",
            upsert,
            "PUT https://api.attio.com/v2/lists/onboarding/entries",
        ),
        (
            "removeListEntry",
            remove,
            "POST https://api.attio.com/v2/lists/onboarding/entries/query",
        ),
    ] {
        let sub = inline_subscription(action, Some(&mapping), None, false, false).unwrap();
        let (text, rejected) = output(vec![sub], &[event], false);
        assert_eq!(rejected, 0, "{text}");
        let parent_at = text
            .find("/v2/objects/people/records/simple")
            .expect("the parent assert");
        let entry_at = text.find(expected).unwrap_or_else(|| panic!("{expected} in {text}"));
        assert!(parent_at < entry_at, "{text}");
    }
}

fn identify_and_group() -> Vec<ActionSubscription> {
    let identify = inline_subscription("identifyUser", None, Some(r#"type = "identify""#), true, false);
    let group = inline_subscription("groupWorkspace", None, Some(r#"type = "group""#), true, false);
    let (mut identify, mut group) = (identify.unwrap(), group.unwrap());
    identify.name = "Identify".to_owned();
    group.name = "Group".to_owned();
    vec![identify, group]
}

#[test]
fn a_subscription_the_workspace_check_refused_is_shown_rejected_as_delivery_rejects_it() {
    let router = Router::new(
        IntegrationsFilter::default(),
        identify_and_group(),
        vec![Some("the attribute user_id is missing".to_owned()), None],
    );
    let (text, rejected) = output_of(
        &router,
        &[r#"{"type":"identify","userId":"u1","traits":{"email":"a@b.co"}}"#],
        false,
    );
    assert_eq!(rejected, 1, "{text}");
    assert!(
        text.contains("[Identify] REJECTED: not sent: the subscription does not fit the workspace: the attribute user_id is missing"),
        "{text}"
    );
    assert!(!text.contains("PUT"), "{text}");
}

#[test]
fn only_one_subscription_is_run_and_shown_when_it_is_named() {
    let router = Router::new(IntegrationsFilter::default(), identify_and_group(), Vec::new());
    let events: Vec<String> = [
        r#"{"type":"identify","userId":"u1","traits":{"email":"a@b.co"}}"#,
        r#"{"type":"group","userId":"u1","groupId":"g1","traits":{"name":"Acme"}}"#,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut out = Vec::new();
    let mut runner = DryRunner::new(&router, "https://api.attio.com", now(), false).only("Group");
    for e in &events {
        runner.event(e, &mut out).unwrap();
    }
    runner.finish(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let event_lines: Vec<&str> = text.lines().filter(|l| l.starts_with("event ")).collect();
    assert_eq!(
        event_lines,
        vec!["event 1: does not match the subscription", "event 2: matches Group"],
        "{text}"
    );
    assert!(!text.contains("[Identify]"), "{text}");
}
