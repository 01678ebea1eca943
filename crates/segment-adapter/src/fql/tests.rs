//! Parser and error-message tests for subscriptions.

use super::*;

fn parse(text: &str) -> Group {
    Subscription::parse(text)
        .unwrap_or_else(|e| panic!("{text:?} refused: {e}"))
        .root()
        .clone()
}

fn refuse(text: &str) -> (Problem, String) {
    match Subscription::parse(text) {
        Ok(s) => panic!("{text:?} accepted as {:?}", s.root()),
        Err(e) => (e.problem().cloned().unwrap_or(Problem::CarriageReturn), e.to_string()),
    }
}

fn cond(field: Field, test: Test) -> Node {
    Node::Condition(Condition { field, test })
}

fn keys(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn a_single_condition_is_an_and_group_of_one() {
    assert_eq!(
        parse(r#"type = "identify""#),
        Group {
            combinator: Combinator::And,
            children: vec![cond(Field::Type, Test::Equals("identify".into()))]
        }
    );
}

#[test]
fn keyed_fields_get_the_reference_special_operators() {
    let g = parse("properties.a = null or properties.a != null or traits.b = true or context.c = false or properties.n = 3 or properties.n != 4");
    let tests: Vec<Test> = g
        .children
        .iter()
        .map(|n| match n {
            Node::Condition(c) => c.test.clone(),
            Node::Group(_) => panic!("no groups here"),
        })
        .collect();
    assert_eq!(
        tests,
        vec![
            Test::NotExists,
            Test::Exists,
            Test::IsTrue,
            Test::IsFalse,
            Test::NumberEquals(3.0),
            Test::NumberNotEquals(4.0)
        ]
    );
    assert_eq!(g.combinator, Combinator::Or);
}

#[test]
fn event_and_type_compare_with_the_stringified_value() {
    assert_eq!(
        parse("event = null").children,
        vec![cond(Field::Event, Test::Equals("null".into()))]
    );
    assert_eq!(
        parse("type = 5.0").children,
        vec![cond(Field::Type, Test::Equals("5".into()))]
    );
    assert_eq!(parse("name != null").children, vec![cond(Field::Name, Test::Exists)]);
    assert_eq!(parse("userId = true").children, vec![cond(Field::UserId, Test::IsTrue)]);
    assert_eq!(
        parse("userId = 12").children,
        vec![cond(Field::UserId, Test::Equals("12".into()))]
    );
}

#[test]
fn ordering_converts_strings_with_javascript_number() {
    assert_eq!(
        parse(r#"properties.t > "50""#).children,
        vec![cond(Field::Property(keys(&["t"])), Test::Greater(50.0))]
    );
    assert_eq!(
        parse(r#"traits.t <= " 1e2 ""#).children,
        vec![cond(Field::Trait(keys(&["t"])), Test::LessOrEqual(100.0))]
    );
    assert_eq!(
        parse("properties.t >= -2.5").children,
        vec![cond(Field::Property(keys(&["t"])), Test::GreaterOrEqual(-2.5))]
    );
}

#[test]
fn match_patterns_become_prefix_or_suffix_tests() {
    let test = |t: &str| match &parse(t).children[0] {
        Node::Condition(c) => c.test.clone(),
        Node::Group(_) => panic!("group"),
    };
    assert_eq!(test(r#"match(event, "Order*")"#), Test::StartsWith("Order".into()));
    assert_eq!(
        test(r#"match(event, "*Completed")"#),
        Test::EndsWith("Completed".into())
    );
    assert_eq!(test(r#"match(event, "Order")"#), Test::EndsWith("rder".into()));
    assert_eq!(test(r#"match(event, "éx")"#), Test::EndsWith("x".into()));
    assert_eq!(test(r#"!match(event, "a*")"#), Test::NotStartsWith("a".into()));
    assert_eq!(test(r#"!contains(name, "x")"#), Test::NotContains("x".into()));
}

#[test]
fn escaped_keys_are_unescaped_and_split_like_the_reference() {
    assert_eq!(
        parse(r#"properties.my\ key = "x""#).children[0],
        cond(Field::Property(keys(&["my key"])), Test::Equals("x".into()))
    );
    assert_eq!(
        parse(r"properties.a\.b = 1").children[0],
        cond(Field::Property(keys(&["a", "b"])), Test::NumberEquals(1.0))
    );
    assert_eq!(
        parse(r"properties.items.\0.sku != null").children[0],
        cond(Field::Property(keys(&["items", "0", "sku"])), Test::Exists)
    );
    assert_eq!(
        parse(r"context.\and = 1").children[0],
        cond(Field::Context(keys(&["and"])), Test::NumberEquals(1.0))
    );
}

#[test]
fn one_level_of_parentheses_makes_a_child_group() {
    let g = parse(r#"type = "track" and (event = "A" or event = "B")"#);
    assert_eq!(g.combinator, Combinator::And);
    assert!(
        matches!(&g.children[1], Node::Group(Group { combinator: Combinator::Or, children }) if children.len() == 2)
    );
    let single = parse(r#"(type = "track")"#);
    assert_eq!(single.children, vec![cond(Field::Type, Test::Equals("track".into()))]);
}

#[test]
fn bare_words_and_compact_equality_are_read_like_the_reference() {
    assert_eq!(
        parse("properties.plan = pro").children[0],
        cond(Field::Property(keys(&["plan"])), Test::Equals("pro".into()))
    );
    assert_eq!(parse(r#"type="identify""#), parse(r#"type = "identify""#));
    assert_eq!(parse("type = \"a\"\nand\tevent = \"b\"").children.len(), 2);
}

#[test]
fn structural_mistakes_are_refused_with_their_problem() {
    let cases: &[(&str, Problem)] = &[
        (
            r#"type = "a" and event = "b" or event = "c""#,
            Problem::MixedConjunctions { last: "or" },
        ),
        (r#"a = 1"#, Problem::UnsupportedRoot("a".into())),
        (
            r#"type = "a" and (event = "b" or (event = "c"))"#,
            Problem::NestedParentheses,
        ),
        (r#"!(type = "a")"#, Problem::UnsupportedNegation),
        (r#"!type = "a""#, Problem::UnsupportedNegation),
        (r#"type = "a" and"#, Problem::DanglingConjunction("and")),
        (r#"or type = "a""#, Problem::LeadingConjunction("or")),
        (r#"type = "a" event = "b""#, Problem::MissingConjunction("event".into())),
        (
            r#"type = "a" AND event = "b""#,
            Problem::UppercaseConjunction("AND".into(), "and"),
        ),
        (r#"(type = "a""#, Problem::UnclosedParenthesis),
        (r#"type = "a")"#, Problem::UnmatchedParenthesis),
        ("()", Problem::EmptyParentheses),
        ("type = ", Problem::ExpectedValue("=", "the end".into())),
        ("type", Problem::ExpectedOperator("type".into(), "the end".into())),
        (r#"type.x = "a""#, Problem::RootWithSubField("type")),
        ("properties = 1", Problem::RootWithoutKey("properties")),
        (r#"contains(type, "a")"#, Problem::TypeInFunction("contains")),
        (r#"contains(event.x, "a")"#, Problem::RootWithSubField("event")),
        (r#"properties.items[0] = "a""#, Problem::Brackets),
        (r#"properties.items.0.sku = "a""#, Problem::DigitKey("0".into())),
        ("properties.null = 1", Problem::KeywordAsKey("null")),
        ("properties.or = 1", Problem::KeywordAsKey("or")),
        (
            r#"properties.constructor != null"#,
            Problem::BuiltinKey("constructor".into()),
        ),
        ("properties.p = a.b", Problem::DottedValue("a.b".into())),
        (
            r#"properties.t > "abc""#,
            Problem::NotANumber {
                op: ">",
                value: "`\"abc\"`".into(),
            },
        ),
        (
            "properties.t < true",
            Problem::NotANumber {
                op: "<",
                value: "`true`".into(),
            },
        ),
        (
            r#"match(event, Order)"#,
            Problem::BadFunctionCall("match", "`Order`".into()),
        ),
        (r#"match(event, "😀x")"#, Problem::AstralPattern('😀')),
        (r#"(contains(event, "a") or type = "b")"#, Problem::CallNotLastInGroup),
        ("type = = \"a\"", Problem::DoubleEquals),
    ];
    for (text, want) in cases {
        assert_eq!(&refuse(text).0, want, "{text:?}");
    }
}

#[test]
fn empty_and_oversized_texts_are_refused() {
    assert_eq!(Subscription::parse(""), Err(FqlError::Empty));
    assert_eq!(Subscription::parse(" \n\t"), Err(FqlError::Empty));
    let long = format!("type = \"{}\"", "x".repeat(MAX_LEN));
    assert!(matches!(Subscription::parse(&long), Err(FqlError::TooLong { .. })));
}

#[test]
fn messages_say_what_is_wrong_and_how_to_write_it() {
    let msg = |t: &str| refuse(t).1;
    assert!(msg(r#"type == "a""#).contains("use `=`"));
    assert!(msg(r#"type = "a" && event = "b""#).contains("use `and`"));
    assert!(msg("type = 'a'").contains("use double quotes"));
    assert!(msg(r#"type = "a" OR type = "b""#).contains("write `or`"));
    let mixed = msg(r#"type = "a" and event = "b" or event = "c""#);
    assert!(
        mixed.contains("ambiguous") && mixed.contains("parentheses") && mixed.contains("a and (b or c)"),
        "{mixed}"
    );
    assert!(msg("type = \"a\"\r\nand event = \"b\"").contains("`\\n`"));
    let root = msg(r#"anonymousId = "x""#);
    assert!(root.contains("`anonymousId`") && root.contains("context."), "{root}");
    assert!(msg("userId!=null").contains("followed by a space"));
    let cafe = msg("properties.café = 1");
    assert!(cafe.contains(r"caf\é"), "{cafe}");
    assert!(msg("properties.items.0.sku = 1").contains(r"items.\0.sku"));
}

#[test]
fn messages_locate_the_problem() {
    let e = Subscription::parse("type = \"a\"\nand event = \"b\" or name = \"c\"").unwrap_err();
    let FqlError::Invalid { at, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!((at.line, at.column), (2, 17));
    assert!(at.snippet.starts_with("or name"));
    assert!(e.to_string().contains("line 2, column 17"), "{e}");
}

#[test]
fn subscription_keeps_its_text() {
    let s: Subscription = "type = \"group\"".parse().unwrap();
    assert_eq!(s.as_str(), "type = \"group\"");
    assert_eq!(s.to_string(), "type = \"group\"");
}
