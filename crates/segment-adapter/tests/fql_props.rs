//! Robustness: parsing never panics on any text, and matching never panics on any event.
//! Round trip: any subscription the grammar allows, written out as FQL text, parses back to
//! exactly the conditions it was written from.

use proptest::prelude::*;
use segment_adapter::fql::{Combinator, Condition, Field, Group, Node, Subscription, Test};
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
        let _ = Subscription::parse(&text);
    }

    #[test]
    fn matches_never_panics_on_arbitrary_events(event in arb_event(), which in 0..VALID.len()) {
        let sub = Subscription::parse(VALID[which]).expect("valid subscription");
        let text = event.to_string();
        let val = Val::parse(&text).expect("JSON");
        let _ = sub.matches(&val);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn written_subscriptions_parse_back_to_their_conditions(group in arb_group()) {
        let text = write_group(&group);
        let parsed = Subscription::parse(&text);
        prop_assert!(parsed.is_ok(), "{text:?} refused: {parsed:?}");
        if let Ok(parsed) = parsed {
            prop_assert_eq!(parsed.root(), &group, "{}", text);
        }
    }
}

/// Keys that are plain words (none is an FQL keyword or an object member).
fn arb_keys() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("k[a-z0-9]{0,4}", 1..3)
}

fn arb_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ]{0,8}"
}

fn arb_number() -> impl Strategy<Value = f64> {
    (-1000i32..1000).prop_map(f64::from)
}

/// A comparison (`field op value`): what may stand anywhere, including inside parentheses.
fn arb_comparison() -> impl Strategy<Value = Condition> {
    let keyed = prop_oneof![
        arb_keys().prop_map(Field::Property),
        arb_keys().prop_map(Field::Trait),
        arb_keys().prop_map(Field::Context),
    ];
    let keyed_test = prop_oneof![
        arb_text().prop_map(Test::Equals),
        arb_text().prop_map(Test::NotEquals),
        arb_number().prop_map(Test::Less),
        arb_number().prop_map(Test::LessOrEqual),
        arb_number().prop_map(Test::Greater),
        arb_number().prop_map(Test::GreaterOrEqual),
        arb_number().prop_map(Test::NumberEquals),
        arb_number().prop_map(Test::NumberNotEquals),
        Just(Test::Exists),
        Just(Test::NotExists),
        Just(Test::IsTrue),
        Just(Test::IsFalse),
    ];
    let top = prop_oneof![Just(Field::Type), Just(Field::Event), Just(Field::Name)];
    let top_test = prop_oneof![arb_text().prop_map(Test::Equals), arb_text().prop_map(Test::NotEquals)];
    prop_oneof![
        3 => (keyed, keyed_test).prop_map(|(field, test)| Condition { field, test }),
        1 => (top, top_test).prop_map(|(field, test)| Condition { field, test }),
    ]
}

/// A `contains(...)` or `match(...)` call, possibly negated.
fn arb_call() -> impl Strategy<Value = Condition> {
    let field = prop_oneof![
        arb_keys().prop_map(Field::Property),
        arb_keys().prop_map(Field::Trait),
        arb_keys().prop_map(Field::Context),
    ];
    let test = prop_oneof![
        arb_text().prop_map(Test::Contains),
        arb_text().prop_map(Test::NotContains),
        arb_text().prop_map(Test::StartsWith),
        arb_text().prop_map(Test::NotStartsWith),
        // `match(f, "*")` is a prefix test: a suffix is never empty.
        "[a-zA-Z0-9 ]{1,8}".prop_map(Test::EndsWith),
        "[a-zA-Z0-9 ]{1,8}".prop_map(Test::NotEndsWith),
    ];
    (field, test).prop_map(|(field, test)| Condition { field, test })
}

fn arb_combinator() -> impl Strategy<Value = Combinator> {
    prop_oneof![Just(Combinator::And), Just(Combinator::Or)]
}

/// One top-level group: comparisons, calls and parenthesised groups of comparisons.
fn arb_group() -> impl Strategy<Value = Group> {
    // Parentheses around one condition are no group: it takes two or more.
    let inner = (arb_combinator(), prop::collection::vec(arb_comparison(), 2..4)).prop_map(|(combinator, cs)| Group {
        combinator,
        children: cs.into_iter().map(Node::Condition).collect(),
    });
    let child = prop_oneof![
        3 => arb_comparison().prop_map(Node::Condition),
        1 => arb_call().prop_map(Node::Condition),
        1 => inner.prop_map(Node::Group),
    ];
    (arb_combinator(), prop::collection::vec(child, 1..5)).prop_map(|(combinator, children)| Group {
        // Without a conjunction there is nothing to tell: a lone condition reads as `and`.
        combinator: if children.len() == 1 {
            Combinator::And
        } else {
            combinator
        },
        children,
    })
}

fn write_group(group: &Group) -> String {
    let conj = match group.combinator {
        Combinator::And => " and ",
        Combinator::Or => " or ",
    };
    group
        .children
        .iter()
        .map(|child| match child {
            Node::Condition(c) => write_condition(c),
            Node::Group(g) => format!("({})", write_group(g)),
        })
        .collect::<Vec<_>>()
        .join(conj)
}

fn write_field(field: &Field) -> String {
    let (root, keys) = match field {
        Field::Type => return "type".into(),
        Field::Event => return "event".into(),
        Field::Name => return "name".into(),
        Field::UserId => return "userId".into(),
        Field::Property(k) => ("properties", k),
        Field::Trait(k) => ("traits", k),
        Field::Context(k) => ("context", k),
    };
    format!("{root}.{}", keys.join("."))
}

fn write_condition(c: &Condition) -> String {
    let field = write_field(&c.field);
    let n = |x: &f64| format!("{x}");
    match &c.test {
        Test::Equals(s) => format!("{field} = \"{s}\""),
        Test::NotEquals(s) => format!("{field} != \"{s}\""),
        Test::Less(x) => format!("{field} < {}", n(x)),
        Test::LessOrEqual(x) => format!("{field} <= {}", n(x)),
        Test::Greater(x) => format!("{field} > {}", n(x)),
        Test::GreaterOrEqual(x) => format!("{field} >= {}", n(x)),
        Test::NumberEquals(x) => format!("{field} = {}", n(x)),
        Test::NumberNotEquals(x) => format!("{field} != {}", n(x)),
        Test::Contains(s) => format!("contains({field}, \"{s}\")"),
        Test::NotContains(s) => format!("!contains({field}, \"{s}\")"),
        Test::StartsWith(s) => format!("match({field}, \"{s}*\")"),
        Test::NotStartsWith(s) => format!("!match({field}, \"{s}*\")"),
        Test::EndsWith(s) => format!("match({field}, \"*{s}\")"),
        Test::NotEndsWith(s) => format!("!match({field}, \"*{s}\")"),
        Test::Exists => format!("{field} != null"),
        Test::NotExists => format!("{field} = null"),
        Test::IsTrue => format!("{field} = true"),
        Test::IsFalse => format!("{field} = false"),
    }
}
