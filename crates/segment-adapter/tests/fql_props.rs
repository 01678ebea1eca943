//! Robustness: parsing never panics on any text, and matching never panics on any event.

use proptest::prelude::*;
use segment_adapter::fql::Subscription;
use segment_adapter::json::Val;

const VALID: &[&str] = &[
    r#"type = "track" and (event = "Order Completed" or event = "Order Refunded") and properties.total >= 100"#,
    r#"!contains(properties.my\ key, "x") or match(context.page.url, "*checkout")"#,
    r"properties.items.\0.sku != null and traits.age > 18 and userId = true",
    r#"(type = "identify" or type = "group") and name = null"#,
];

fn mutated() -> impl Strategy<Value = String> {
    let ops = prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..6);
    (prop::sample::select(VALID), ops).prop_map(|(base, ops)| {
        let mut chars: Vec<char> = base.chars().collect();
        for (idx, kind, c) in ops {
            let i = idx.index(chars.len() + 1);
            match kind {
                0 if i < chars.len() => {
                    chars.remove(i);
                }
                1 if i < chars.len() => chars[i] = c,
                _ => chars.insert(i.min(chars.len()), c),
            }
        }
        chars.into_iter().collect()
    })
}

fn arb_event() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        (-1e6f64..1e6).prop_map(|n| serde_json::json!(n)),
        prop::sample::select(vec!["track", "identify", "", "0", "Order", "😀x", "é"])
            .prop_map(|s| serde_json::json!(s)),
    ];
    let value = leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "type",
                    "event",
                    "name",
                    "userId",
                    "properties",
                    "traits",
                    "context",
                    "items",
                    "0",
                    "sku",
                    "total",
                    "length"
                ]),
                inner,
                0..5
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    });
    prop_oneof![
        value.clone(),
        prop::collection::btree_map(
            prop::sample::select(vec![
                "type",
                "event",
                "properties",
                "traits",
                "context",
                "userId",
                "name"
            ]),
            value,
            0..7
        )
        .prop_map(|m| serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_never_panics_on_arbitrary_text(text in "\\PC{0,80}") {
        let _ = Subscription::parse(&text);
    }

    #[test]
    fn parse_never_panics_on_mutated_subscriptions(text in mutated()) {
        if let Ok(s) = Subscription::parse(&text) {
            prop_assert_eq!(s.as_str(), text.as_str());
        }
    }

    #[test]
    fn matches_never_panics_on_arbitrary_events(event in arb_event(), which in 0..VALID.len()) {
        let sub = Subscription::parse(VALID[which]).expect("valid subscription");
        let text = event.to_string();
        let val = Val::parse(&text).expect("JSON");
        let _ = sub.matches(&val);
    }
}
