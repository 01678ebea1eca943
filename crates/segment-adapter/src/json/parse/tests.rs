use super::*;
use crate::json::Projection;
use proptest::prelude::*;

fn keys(v: &Val<'_>) -> Vec<String> {
    v.as_obj()
        .map(|o| o.keys().map(str::to_owned).collect())
        .unwrap_or_default()
}

#[test]
fn projected_parse_keeps_only_the_named_top_level_keys_in_document_order() {
    let text =
        r#"{"context":{"ip":"1.2.3.4"},"type":"identify","traits":{"email":"a@b.co","n":[1,{"x":null}]},"userId":"u"}"#;
    let v = Val::parse_projected(text, &["userId", "traits", "type"]).unwrap();
    assert_eq!(keys(&v), ["type", "traits", "userId"]);
    assert_eq!(
        v.get("traits").and_then(|t| t.to_json()),
        Val::parse(text).unwrap().get("traits").and_then(|t| t.to_json())
    );
}

#[test]
fn projected_parse_keeps_the_last_duplicate_at_the_first_position() {
    let v = Val::parse_projected(r#"{"a":1,"b":2,"a":3,"c":4}"#, &["a", "c"]).unwrap();
    assert_eq!(v.to_json().unwrap(), r#"{"a":3,"c":4}"#);
}

#[test]
fn projected_parse_still_refuses_invalid_json_in_skipped_values() {
    for bad in [
        r#"{"type":"x","skip":[1,}"#,
        r#"{"type":"x","skip":"bad \q escape"}"#,
        r#"{"type":"x","skip":01}"#,
        r#"{"type":"x","skip":tru}"#,
        r#"{"type":"x"} trailing"#,
    ] {
        assert!(Val::parse_projected(bad, &["type"]).is_err(), "{bad}");
        assert!(Val::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn projected_parse_of_a_non_object_is_the_full_parse() {
    for text in ["[1,{\"a\":2}]", "\"s\"", "12.5", "null", "true"] {
        assert_eq!(
            Val::parse_projected(text, &["a"]).unwrap(),
            Val::parse(text).unwrap(),
            "{text}"
        );
    }
}

#[test]
fn projected_parse_with_no_roots_gives_an_empty_object() {
    let v = Val::parse_projected(r#"{"a":{"b":[1,2]},"c":"d"}"#, &[] as &[&str]).unwrap();
    assert_eq!(v.to_json().unwrap(), "{}");
}

#[test]
fn many_keys_with_duplicates_keep_javascript_order() {
    // More keys than the 64-bit filter has bits, so collisions are certain.
    let mut text = String::from("{");
    for i in 0..200 {
        text.push_str(&format!("\"k{}\":{i},", i % 150));
    }
    text.push_str("\"end\":true}");
    let v = Val::parse(&text).unwrap();
    let o = v.as_obj().unwrap();
    assert_eq!(o.len(), 151);
    assert_eq!(o.get("k0"), Some(&Val::Num(150.0)));
    assert_eq!(o.get("k149"), Some(&Val::Num(149.0)));
    assert_eq!(o.keys().next(), Some("k0"));
}

/// Text of an object whose keys come from a small alphabet, so duplicates are common.
fn object_text() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just("null".to_owned()),
        any::<i16>().prop_map(|n| n.to_string()),
        "[a-z\"\\\\]{0,5}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just(r#"{"x":[1,"y",{"z":false}]}"#.to_owned()),
        Just(r#"{"z":{"x":1},"a":"s","x":null,"z":2}"#.to_owned()),
    ];
    prop::collection::vec(("[a-d]{1,2}", value), 0..24).prop_map(|pairs| {
        let body: Vec<String> = pairs
            .into_iter()
            .map(|(k, v)| format!("{}:{v}", serde_json::to_string(&k).unwrap()))
            .collect();
        format!("{{{}}}", body.join(","))
    })
}

proptest! {
    /// serde_json's order-preserving map has JSON.parse's duplicate-key rule too.
    #[test]
    fn parse_agrees_with_an_order_preserving_map_on_duplicate_keys(text in object_text()) {
        let reference: serde_json::Value = serde_json::from_str(&text).unwrap();
        let ours: serde_json::Value = serde_json::from_str(&Val::parse(&text).unwrap().to_json().unwrap()).unwrap();
        prop_assert_eq!(
            serde_json::to_string(&ours).unwrap(),
            serde_json::to_string(&reference).unwrap()
        );
    }

    #[test]
    fn projected_parse_equals_the_full_parse_restricted_to_the_roots(
        text in object_text(),
        roots in prop::collection::vec("[a-d]{1,2}", 0..6),
    ) {
        let full = Val::parse(&text).unwrap();
        let projected = Val::parse_projected(&text, &roots).unwrap();
        let full_obj = full.as_obj().unwrap();
        let expected: Vec<(&str, &Val<'_>)> =
            full_obj.iter().filter(|(k, _)| roots.iter().any(|r| r == k)).collect();
        let got: Vec<(&str, &Val<'_>)> = projected.as_obj().unwrap().iter().collect();
        prop_assert_eq!(got, expected);
    }
}

/// The full parse cut down to what `p` keeps, as a projected parse should give it.
fn cut<'a>(full: &Val<'a>, p: &Projection) -> Val<'a> {
    let Val::Obj(o) = full else { return full.clone() };
    let mut out = Obj::new();
    for (k, v) in o.iter() {
        match p.lookup(k) {
            None => {}
            Some(Some(keys)) if matches!(v, Val::Obj(_)) => {
                let inner = v.as_obj().map(|inner| {
                    Obj(inner
                        .0
                        .iter()
                        .filter(|(ik, _)| keys.iter().any(|c| **c == **ik))
                        .cloned()
                        .collect())
                });
                out.0.push((k.to_owned().into(), Val::Obj(inner.unwrap_or_default())));
            }
            Some(_) => out.0.push((k.to_owned().into(), v.clone())),
        }
    }
    Val::Obj(out)
}

#[test]
fn a_projected_parse_narrows_objects_to_the_keys_paths_go_on_to() {
    let text = r#"{"traits":{"email":"a@b.co","company":{"n":1},"name":"Ada"},"tags":["x"],"s":"t","n":{"m":1}}"#;
    let mut p = Projection::new();
    p.read_path(&["traits", "email"]);
    p.read_path(&["traits", "name"]);
    p.read_path(&["tags", "0"]);
    p.read_path(&["s", "length"]);
    let v = Val::parse_with(text, &p).unwrap();
    assert_eq!(
        v.to_json().unwrap(),
        r#"{"traits":{"email":"a@b.co","name":"Ada"},"tags":["x"],"s":"t"}"#
    );
}

proptest! {
    #[test]
    fn a_projected_parse_is_the_full_parse_cut_down(
        text in object_text(),
        roots in prop::collection::vec("[a-d]{1,2}", 0..4),
        paths in prop::collection::vec(("[a-d]{1,2}", prop_oneof![Just("x"), Just("z"), Just("a")]), 0..4),
    ) {
        let mut p = Projection::of_roots(&roots);
        for (root, child) in &paths {
            p.read_path(&[root.as_str(), child]);
        }
        let full = Val::parse(&text).unwrap();
        let projected = Val::parse_with(&text, &p).unwrap();
        prop_assert_eq!(projected, cut(&full, &p));
    }
}
