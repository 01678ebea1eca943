//! The fast reader against serde_json: where it answers, it answers what serde_json
//! answers, bit for bit; it never accepts what serde_json refuses.

use proptest::prelude::*;
use serde::Deserialize;

use super::*;

/// The serde_json path alone.
fn slow(text: &str) -> Result<Val<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let v = Val::deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// Structural identity: numbers by their bits, strings by content and by being borrowed.
fn identical(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => x.to_bits() == y.to_bits(),
        (Val::Str(x), Val::Str(y)) => x == y && matches!(x, Cow::Borrowed(_)) == matches!(y, Cow::Borrowed(_)),
        (Val::Arr(x), Val::Arr(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| identical(x, y)),
        (Val::Obj(x), Val::Obj(y)) => {
            x.len() == y.len()
                && x.0
                    .iter()
                    .zip(&y.0)
                    .all(|((kx, vx), (ky, vy))| kx == ky && identical(vx, vy))
        }
        _ => a == b,
    }
}

fn check(text: &str) -> Result<(), TestCaseError> {
    let fast = parse(text, None);
    match (fast, slow(text)) {
        (Some(f), Ok(s)) => prop_assert!(identical(&f, &s), "{text}: {f:?} vs {s:?}"),
        (Some(f), Err(e)) => prop_assert!(false, "{text}: fast accepted {f:?}, serde_json refused: {e}"),
        (None, _) => {}
    }
    Ok(())
}

#[test]
fn ordinary_events_take_the_fast_path() {
    let text = r#" {"type":"identify","userId":"u-1","n":-12.5e-3,"i":-0,"big":12345678901234567890,
        "t":{"email":"a@b.co","esc":"l\u00e9\n\"q\"\/","tags":[true,false,null,[],{}]}} "#;
    let v = parse(text, None).expect("fast path");
    assert!(identical(&v, &slow(text).unwrap()));
}

#[test]
fn what_serde_json_refuses_is_refused() {
    for bad in [
        "",
        " ",
        "{",
        "[1,]",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{a:1}",
        "01",
        "1.",
        "1.e3",
        "-",
        "+1",
        "1e",
        ".5",
        "tru",
        "nul",
        "\"abc",
        "\"a\u{1}b\"",
        "\"\\x\"",
        "\"\\u12g4\"",
        "[1 2]",
        "{} {}",
        "1e400",
        "NaN",
        "[\"a\"]]",
    ] {
        assert!(parse(bad, None).is_none(), "{bad:?}");
        assert!(slow(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn surrogates_and_deep_nesting_are_left_to_serde_json() {
    for (text, valid) in [(r#""\ud83d\ude00""#, true), (r#"["\ud800"]"#, false)] {
        assert!(parse(text, None).is_none(), "{text}");
        assert_eq!(Val::parse(text).is_ok(), valid, "{text}");
    }
    assert_eq!(Val::parse(r#""\ud83d\ude00""#).unwrap(), Val::str("😀"));
    let deep = format!("{}{}", "[".repeat(120), "]".repeat(120));
    assert!(parse(&deep, None).is_none());
    assert!(Val::parse(&deep).is_ok());
}

#[test]
fn skipped_values_are_checked_too() {
    for bad in [
        r#"{"a":1,"skip":[1,]}"#,
        r#"{"a":1,"skip":{"k" 1}}"#,
        r#"{"a":1,"skip":"\q"}"#,
        r#"{"a":1,"skip":01}"#,
    ] {
        assert!(parse(bad, Some(&Projection::of_roots(&["a"]))).is_none(), "{bad}");
    }
    let ok = r#"{"skip":{"k":[1,"\u00e9",{"x":null}],"e":{}},"a":1,"s2":"x\"y"}"#;
    assert_eq!(
        parse(ok, Some(&Projection::of_roots(&["a"])))
            .unwrap()
            .to_json()
            .unwrap(),
        r#"{"a":1}"#
    );
}

#[test]
fn the_first_special_byte_is_found_at_every_offset_after_any_prefix() {
    for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
        for len in 0..24 {
            for prefix in [b'a', 0x7f, 0x80, 0xff, b' ', 0x21, b'[', b']'] {
                let mut bytes = vec![prefix; len];
                bytes.push(special);
                // Specials after the first one must not change the answer.
                bytes.extend_from_slice(b"\"\\\x01zz\"");
                assert_eq!(plain_run(&bytes), len, "{special:#x} after {len} x {prefix:#x}");
            }
        }
    }
    assert_eq!(plain_run(b"no specials at all here"), 23);
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<u64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|n| serde_json::json!(n)),
        any::<String>().prop_map(serde_json::Value::String),
        "[a-z\"\\\\/\n\t\u{1}é😀]{0,8}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
            prop::collection::vec(("[a-c\"é]{0,3}", inner), 0..5)
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn valid_documents_agree_with_serde_json(v in arb_json(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) }.unwrap();
        prop_assert!(parse(&text, None).is_some(), "{}", text);
        check(&text)?;
    }

    #[test]
    fn number_texts_agree_with_serde_json(
        text in "-?(0|[1-9][0-9]{0,22})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?"
    ) {
        check(&text)?;
        check(&format!("[{text}]"))?;
    }

    #[test]
    fn escaped_strings_agree_with_serde_json(
        parts in prop::collection::vec(prop_oneof![
            "[a-zé ]{0,3}",
            Just("\\\"".to_owned()), Just("\\\\".to_owned()), Just("\\/".to_owned()), Just("\\b".to_owned()),
            Just("\\u0041".to_owned()), Just("\\u00E9".to_owned()), Just("\\ud83d\\ude00".to_owned()),
            Just("\\ud800".to_owned()), Just("\\q".to_owned()), Just("\u{1}".to_owned()),
        ], 0..6)
    ) {
        check(&format!("\"{}\"", parts.concat()))?;
    }

    /// Damaged documents: one byte inserted or removed anywhere.
    #[test]
    fn damaged_documents_are_never_accepted_when_serde_json_refuses(
        v in arb_json(),
        at in any::<prop::sample::Index>(),
        insert in prop::option::of(prop::sample::select(vec!['"', '\\', ',', ':', '[', ']', '{', '}', '0', '-', '.', 'e', ' ', 'x'])),
    ) {
        let mut text = serde_json::to_string(&v).unwrap();
        let boundaries: Vec<usize> = (0..=text.len()).filter(|i| text.is_char_boundary(*i)).collect();
        let i = boundaries[at.index(boundaries.len())];
        match insert {
            Some(c) => text.insert(i, c),
            None if i < text.len() => { text.remove(i); }
            None => {}
        }
        check(&text)?;
        let mut projection = Projection::of_roots(&["a"]);
        projection.read_path(&["b", "c"]);
        let projected = parse(&text, Some(&projection));
        if projected.is_some() {
            prop_assert!(slow(&text).is_ok(), "{}", text);
        }
    }
}
