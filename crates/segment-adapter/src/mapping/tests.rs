//! Behaviour of each directive, of validation, and of `referenced_roots`.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

const EVENT: &str = r#"{"type":"identify","userId":"u_1","event":"E",
  "traits":{"email":"Ada@Example.com","name":"Ada","plan":"pro","logins":5,"nickname":null,"empty":"",
    "zero":0,"flag":false,"tags":["a","b"],"company":{"n":1,"x":null},"sku":"AB-12","pick":"email","raw":"{\"a\":[1]}"},
  "properties":{"products":[{"id":"p1","qty":2},{"id":"p2","qty":1}],"ship":{"m":"ground","addr":{"city":"L"}}}}"#;

fn run(mapping: Value) -> Option<Value> {
    let m = Mapping::parse(&mapping).unwrap_or_else(|e| panic!("{mapping} refused: {e}"));
    let event = Val::parse(EVENT).unwrap();
    m.apply(&event)
        .unwrap_or_else(|e| panic!("{mapping} failed: {e}"))
        .to_serde()
}

fn runtime_error(mapping: Value) -> String {
    let m = Mapping::parse(&mapping).unwrap();
    m.apply(&Val::parse(EVENT).unwrap()).unwrap_err().to_string()
}

fn invalid(mapping: Value) -> String {
    Mapping::parse(&mapping).unwrap_err().to_string()
}

#[test]
fn path_reads_values_and_missing_ones_disappear() {
    let out = run(json!({"e": {"@path": "$.traits.email"}, "n": {"@path": "traits.nope"}, "k": "raw", "z": null}));
    assert_eq!(out, Some(json!({"e": "Ada@Example.com", "k": "raw", "z": null})));
    assert_eq!(run(json!({"@path": "$.traits.nope"})), None);
    assert_eq!(run(json!({"@path": "$.properties.products[1].id"})), Some(json!("p2")));
}

#[test]
fn path_from_a_directive_is_resolved_at_run_time() {
    assert_eq!(
        run(json!({"@path": {"@template": "$.traits.{{traits.pick}}"}})),
        Some(json!("Ada@Example.com"))
    );
    let err = runtime_error(json!({"x": {"@path": {"@path": "$.traits.logins"}}}));
    assert_eq!(err, "/x/@path @path: expected string, got number");
}

#[test]
fn template_stringifies_like_javascript() {
    assert_eq!(
        run(json!({"@template": "{{traits.name}} <{{ traits.email }}> {{traits.tags}} {{traits.nickname}}|{{}}"})),
        Some(json!("Ada <Ada@Example.com> a,b |{{}}"))
    );
    let err = runtime_error(json!({"@template": {"@path": "$.traits.tags"}}));
    assert!(err.ends_with("@template: expected string, got array"), "{err}");
}

#[test]
fn literal_resolves_nested_directives_but_never_templates_strings() {
    assert_eq!(
        run(json!({"@literal": {"id": {"@path": "$.userId"}, "t": "{{userId}}"}})),
        Some(json!({"id": "u_1", "t": "{{userId}}"}))
    );
}

#[test]
fn if_exists_blank_and_the_falsy_else() {
    let if_ = |cond: &str, path: &str, then: Value, els: Value| {
        run(json!({"v": {"@if": {cond: {"@path": path}, "then": then, "else": els}}}))
    };
    assert_eq!(
        if_("exists", "$.traits.zero", json!("y"), json!("n")),
        Some(json!({"v": "y"}))
    );
    assert_eq!(
        if_("exists", "$.traits.nickname", json!("y"), json!("n")),
        Some(json!({"v": "n"}))
    );
    assert_eq!(
        if_("blank", "$.traits.zero", json!("y"), json!("n")),
        Some(json!({"v": "n"}))
    );
    assert_eq!(
        if_("blank", "$.traits.plan", json!("y"), json!("n")),
        Some(json!({"v": "y"}))
    );
    assert_eq!(if_("exists", "$.nope", json!(true), json!(false)), Some(json!({})));
    assert_eq!(
        if_("exists", "$.userId", json!(false), json!(true)),
        Some(json!({"v": false}))
    );
    assert_eq!(
        run(json!({"@if": {"exists": 0, "blank": "x", "then": "exists wins"}})),
        Some(json!("exists wins"))
    );
}

#[test]
fn if_without_a_truthy_exists_or_blank_fails_when_reached() {
    let err = runtime_error(json!({"v": {"@if": {"exists": "", "then": 1}}}));
    assert_eq!(err, "/v/@if @if requires an \"exists\" key or a \"blank\" key");
}

#[test]
fn array_path_maps_items_with_item_relative_paths() {
    let shape = json!({"id": {"@path": "$.id"}, "l": {"@template": "{{id}} x{{qty}}"}});
    assert_eq!(
        run(json!({"@arrayPath": ["$.properties.products", shape]})),
        Some(json!([{"id": "p1", "l": "p1 x2"}, {"id": "p2", "l": "p2 x1"}]))
    );
    assert_eq!(
        run(json!({"@arrayPath": ["$.properties.ship", {"m": {"@path": "$.m"}}]})),
        Some(json!([{"m": "ground"}]))
    );
    assert_eq!(
        run(json!({"@arrayPath": ["$.traits.tags", {}]})),
        Some(json!(["a", "b"]))
    );
    assert_eq!(
        run(json!({"@arrayPath": [{"@path": "$.traits.tags"}]})),
        Some(json!(["a", "b"]))
    );
    assert_eq!(run(json!({"x": {"@arrayPath": ["$.nope", {"a": 1}]}})), Some(json!({})));
}

#[test]
fn case_changes_strings_only() {
    let case = |op: &str, path: &str| run(json!({"v": {"@case": {"operator": op, "value": {"@path": path}}}}));
    assert_eq!(case("lower", "$.traits.email"), Some(json!({"v": "ada@example.com"})));
    assert_eq!(case("upper", "$.traits.plan"), Some(json!({"v": "PRO"})));
    assert_eq!(case("upper", "$.traits.logins"), Some(json!({"v": 5})));
    assert_eq!(case("lower", "$.nope"), Some(json!({})));
    let err = runtime_error(json!({"@case": {"operator": "snake", "value": {"@path": "$.traits.plan"}}}));
    assert!(
        err.ends_with("operator key should have a value of \"lower\" or \"upper\""),
        "{err}"
    );
    let err = runtime_error(json!({"@case": {"value": "x"}}));
    assert!(err.ends_with("@case requires a \"operator\" key"), "{err}");
}

#[test]
fn replace_is_literal_and_gives_empty_string_for_missing_values() {
    let r = |args: Value| run(json!({"v": {"@replace": args}}));
    let sku = json!({"@path": "$.traits.sku"});
    assert_eq!(r(json!({"value": sku, "pattern": "-"})), Some(json!({"v": "AB12"})));
    assert_eq!(
        r(json!({"value": "a.b.c", "pattern": ".", "replacement": "/", "global": false})),
        Some(json!({"v": "a/b.c"}))
    );
    assert_eq!(
        r(json!({"value": sku, "pattern": "-", "replacement": " ", "pattern2": "ab", "ignorecase": true})),
        Some(json!({"v": " 12"}))
    );
    assert_eq!(
        r(json!({"value": {"@path": "$.traits.logins"}, "pattern": "5", "replacement": "6"})),
        Some(json!({"v": "6"}))
    );
    assert_eq!(
        r(json!({"value": {"@path": "$.nope"}, "pattern": "-"})),
        Some(json!({"v": ""}))
    );
    assert_eq!(
        r(json!({"value": {"@path": "$.traits.company"}, "pattern": "-"})),
        Some(json!({"v": ""}))
    );
    assert_eq!(r(json!({"value": "", "pattern": "-"})), Some(json!({})));
}

#[test]
fn json_encodes_and_decodes() {
    let j = |mode: &str, path: &str| run(json!({"v": {"@json": {"mode": mode, "value": {"@path": path}}}}));
    assert_eq!(j("encode", "$.traits.tags"), Some(json!({"v": "[\"a\",\"b\"]"})));
    assert_eq!(j("encode", "$.traits.nickname"), Some(json!({"v": "null"})));
    assert_eq!(j("encode", "$.nope"), Some(json!({})));
    assert_eq!(j("decode", "$.traits.raw"), Some(json!({"v": {"a": [1]}})));
    assert_eq!(j("decode", "$.traits.name"), Some(json!({"v": "Ada"})));
    assert_eq!(j("decode", "$.traits.logins"), Some(json!({"v": 5})));
    assert_eq!(j("Encode", "$.traits.tags"), Some(json!({})));
    let err = runtime_error(json!({"@json": {"mode": "encode", "value": null}}));
    assert!(err.ends_with("@json requires a \"value\" key"), "{err}");
}

#[test]
fn flatten_merge_and_exclude_when_null() {
    assert_eq!(
        run(json!({"@flatten": {"value": {"@path": "$.properties.ship"}, "separator": "."}})),
        Some(json!({"m": "ground", "addr.city": "L"}))
    );
    assert_eq!(
        run(json!({"@flatten": {"value": {"@path": "$.nope"}, "separator": "."}})),
        Some(json!({}))
    );
    let err = runtime_error(json!({"@flatten": {"value": 1, "separator": ""}}));
    assert!(err.ends_with("@flatten requires a \"separator\" key"), "{err}");
    let objects = json!([{"name": "D", "s": "seg"}, {"@path": "$.traits.company"}, {"@path": "$.nope"}]);
    assert_eq!(
        run(json!({"@merge": {"direction": "right", "objects": objects.clone()}})),
        Some(json!({"name": "D", "s": "seg", "n": 1, "x": null}))
    );
    assert_eq!(
        run(json!({"@merge": {"direction": "left", "objects": [{"n": 9}, {"@path": "$.traits.company"}]}})),
        Some(json!({"n": 9, "x": null}))
    );
    // Object.assign copies undefined over a defined value; cleanup then drops the key.
    assert_eq!(
        run(json!({"@merge": {"direction": "right", "objects": [{"a": 1}, {"a": {"@path": "$.nope"}}]}})),
        Some(json!({}))
    );
    assert_eq!(
        run(
            json!({"c": {"@excludeWhenNull": {"@path": "$.traits.company"}}, "n": {"@excludeWhenNull": {"@path": "$.traits.nickname"}}})
        ),
        Some(json!({"c": {"n": 1}}))
    );
}

#[test]
fn transform_runs_the_mapping_on_the_reshaped_payload_only() {
    let t = json!({"@transform": {"apply": {"o": {"@path": "$.userId"}}, "mapping": {"l": {"@template": "{{o}}!"}, "gone": {"@path": "$.type"}}}});
    assert_eq!(run(t), Some(json!({"l": "u_1!"})));
    let root = json!({
        "__segment_internal_directive": {"@transform": {"apply": {"t": {"@flatten": {"value": {"@path": "$.traits.company"}, "separator": "_"}}}}},
        "n": {"@path": "$.t.n"}, "type": {"@path": "$.type"}
    });
    assert_eq!(run(root), Some(json!({"n": 1})));
}

#[test]
fn transform_of_a_non_object_item_is_an_error() {
    let m = json!({"@arrayPath": ["$.traits.tags", {"x": {"@transform": {"apply": {}, "mapping": {}}}}]});
    let err = runtime_error(m);
    assert!(err.contains("data must be an object, got string"), "{err}");
}

#[test]
fn events_must_be_objects() {
    let m = Mapping::parse(&json!({"a": 1})).unwrap();
    let err = m.apply(&Val::parse("[1]").unwrap()).unwrap_err();
    assert!(matches!(err, MappingError::NotAnObject { got: "array", .. }));
}

#[test]
fn undefined_array_elements_stay_and_serialise_as_null() {
    let m = Mapping::parse(&json!({"l": [{"@path": "$.userId"}, {"@path": "$.nope"}]})).unwrap();
    let out = m.apply(&Val::parse(EVENT).unwrap()).unwrap();
    let l = out.as_obj().and_then(|o| o.get("l")).and_then(Val::as_arr).unwrap();
    assert!(l[1].is_undefined());
    assert_eq!(out.to_json().unwrap(), r#"{"l":["u_1",null]}"#);
}

#[test]
fn metadata_is_ignored_inside_a_directive() {
    assert_eq!(
        run(json!({"@path": "$.userId", "_metadata": {"label": "x"}})),
        Some(json!("u_1"))
    );
}

#[test]
fn validation_names_the_path_of_each_problem() {
    assert_eq!(
        invalid(json!({"user_attributes": {"x": {"@foo": 1}}})),
        "/user_attributes/x has an invalid directive: @foo"
    );
    assert_eq!(
        invalid(json!({"x": {"@replace": {"value": "v", "pattern": "12345678901"}}})),
        "/x/@replace/pattern should be a string of length 10 or less"
    );
    assert_eq!(
        invalid(json!({"x": {"@path": 5}})),
        "/x/@path should be a string or a mapping directive but it is a number"
    );
    assert_eq!(
        invalid(json!({"@arrayPath": "x"})),
        "/@arrayPath should be an array but it is a string"
    );
    assert_eq!(
        invalid(json!({"t": {"@transform": {"mapping": {}}}})),
        "/t/@transform should have field \"apply\" but it doesn't"
    );
    assert_eq!(
        invalid(json!({"j": {"@json": {"mode": "oops", "value": 1}}})),
        "/j/@json/mode should be one of encode, decode but it is \"oops\""
    );
    assert_eq!(
        invalid(json!({"m": {"@path": "x", "y": 1}})),
        "/m should only have one @-prefixed key but it has 2 keys"
    );
    assert_eq!(
        invalid(json!({"m": {"@merge": {"direction": "up", "objects": [1]}}})),
        "/m/@merge/objects/0 should be an object but it is a number; \
         /m/@merge/direction should be one of left, right but it is \"up\""
    );
    assert_eq!(
        invalid(json!({"f": {"@flatten": {"value": 1, "separator": {"@path": "$.s"}}}})),
        "/f/@flatten/separator should be a string but it is a directive"
    );
    assert_eq!(
        invalid(json!({"a": [{"@bad": 1}], "b": {"@if": {"then": {"x": {"@nope": 1}}}}})),
        "/a/0 has an invalid directive: @bad; /b/@if/then/x has an invalid directive: @nope"
    );
}

#[test]
fn liquid_is_refused_and_template_suggested() {
    let err = invalid(json!({"up": {"@liquid": "{{ traits.name | upcase }}"}}));
    assert!(
        err.starts_with("/up/@liquid is not supported") && err.contains("@template"),
        "{err}"
    );
}

#[test]
fn root_directive_must_be_a_transform() {
    let err = invalid(json!({"__segment_internal_directive": {"@path": "$.x"}, "a": 1}));
    assert!(
        err.starts_with("/__segment_internal_directive should be a single @transform"),
        "{err}"
    );
}

#[test]
fn too_deep_mappings_are_refused() {
    let mut v = json!(1);
    for _ in 0..200 {
        v = json!({ "a": v });
    }
    assert!(invalid(v).contains("nested too deeply"));
}

#[test]
fn referenced_roots_list_top_level_fields_read_from_the_event() {
    let roots = |m: Value| Mapping::parse(&m).unwrap().referenced_roots();
    let set = |names: &[&str]| Some(names.iter().map(|s| s.to_string()).collect());
    assert_eq!(
        roots(json!({
            "a": {"@path": "$.traits.email"},
            "b": {"@if": {"exists": {"@path": "groupId"}, "then": {"@path": "$.context.group_id"}}},
            "c": {"@template": "{{userId}}-{{ properties.x }}"},
            "d": {"@arrayPath": ["$.products", {"id": {"@path": "$.product_id"}}]},
            "e": {"@transform": {"apply": {"k": {"@path": "$.event"}}, "mapping": {"z": {"@path": "$.zz"}}}}
        })),
        set(&[
            "context",
            "event",
            "groupId",
            "products",
            "properties",
            "traits",
            "userId"
        ])
    );
    assert_eq!(roots(json!({"w": {"@path": "$."}})), None);
    assert_eq!(roots(json!({"w": {"@template": "{{ }}"}})), None);
    assert_eq!(
        roots(json!({"w": {"@path": {"@template": "$.traits.{{traits.pick}}"}}})),
        None
    );
    assert_eq!(roots(json!({"w": 1})), set(&[]));
}

#[test]
fn projection_narrows_roots_to_the_keys_static_paths_go_on_to() {
    let m = Mapping::parse(&json!({
        "a": {"@path": "$.traits.email"},
        "b": {"@arrayPath": ["$.properties.items", {"id": {"@path": "$.sku"}}]},
        "c": {"@template": "{{context.ip}}"},
        "d": {"@path": "$.userId"},
        "e": {"@path": "$.properties.total"}
    }))
    .unwrap();
    let p = m.projection().unwrap();
    assert_eq!(
        p.roots().collect::<Vec<_>>(),
        ["context", "properties", "traits", "userId"]
    );
    let event = r#"{"traits":{"email":"e","x":1},"properties":{"items":[{"sku":"s"}],"total":3,"other":{}},
        "context":{"ip":"i","y":2},"userId":"u","more":1}"#;
    let cut = Val::parse_with(event, p).unwrap();
    assert_eq!(
        cut.to_json().unwrap(),
        r#"{"traits":{"email":"e"},"properties":{"items":[{"sku":"s"}],"total":3},"context":{"ip":"i","y":2},"userId":"u"}"#
    );
    assert_eq!(
        m.apply(&cut).unwrap().to_json(),
        m.apply(&Val::parse(event).unwrap()).unwrap().to_json()
    );
}

#[test]
fn an_event_trimmed_to_the_referenced_roots_resolves_the_same() {
    let mapping = json!({"e": {"@path": "$.traits.email"}, "t": {"@template": "{{userId}}"}, "x": {"@path": "$.nope"}});
    let m = Mapping::parse(&mapping).unwrap();
    let roots = m.referenced_roots().unwrap();
    let full: Value = serde_json::from_str(EVENT).unwrap();
    let trimmed: serde_json::Map<String, Value> = full
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| roots.contains(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let trimmed = Value::Object(trimmed).to_string();
    let a = m.apply(&Val::parse(EVENT).unwrap()).unwrap().to_json();
    let b = m.apply(&Val::parse(&trimmed).unwrap()).unwrap().to_json();
    assert_eq!(a, b);
}

fn arb_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("@path".to_owned()),
        Just("@template".to_owned()),
        Just("@if".to_owned()),
        Just("@json".to_owned()),
        Just("@replace".to_owned()),
        Just("@flatten".to_owned()),
        Just("@merge".to_owned()),
        Just("@arrayPath".to_owned()),
        Just("@transform".to_owned()),
        Just("@case".to_owned()),
        Just("exists".to_owned()),
        Just("then".to_owned()),
        Just("else".to_owned()),
        Just("value".to_owned()),
        Just("mode".to_owned()),
        Just("pattern".to_owned()),
        Just("apply".to_owned()),
        Just("mapping".to_owned()),
        Just("separator".to_owned()),
        Just("objects".to_owned()),
        Just("direction".to_owned()),
        "[a-z$.\\[\\]'{} ]{0,6}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        prop_oneof![
            Just("$.a".to_owned()),
            Just("{{ a.b }}".to_owned()),
            Just("encode".to_owned()),
            Just("decode".to_owned()),
            Just("left".to_owned()),
            "[a-z$.\\[\\]'{} 0-9]{0,8}"
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(8, 64, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..4).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_and_apply_never_panic(mapping in arb_json(), event in arb_json()) {
        if let Ok(m) = Mapping::parse(&mapping) {
            let text = event.to_string();
            let ev = Val::parse(&text).unwrap();
            let _ = m.apply(&ev);
            let _ = m.apply(&Val::parse(EVENT).unwrap());
            let _ = m.referenced_roots();
        }
    }
}

#[test]
fn deeply_nested_events_and_huge_numbers_do_not_panic() {
    let m = Mapping::parse(&json!({
        "f": {"@flatten": {"value": {"@path": "$.d"}, "separator": "."}},
        "j": {"@json": {"mode": "encode", "value": {"@path": "$"}}},
        "t": {"@template": "{{n}} {{d}}"},
        "r": {"@replace": {"value": {"@path": "$.n"}, "pattern": "e", "replacement": "E"}}
    }))
    .unwrap();
    let mut deep = "1".to_owned();
    // 60 objects each holding an array: 120 levels, near the parser's limit of 128.
    for _ in 0..60 {
        deep = format!("{{\"a\":[{deep}]}}");
    }
    let text = format!("{{\"n\":1e308,\"d\":{deep}}}");
    let ev = Val::parse(&text).unwrap();
    let out = m.apply(&ev).unwrap().to_serde().unwrap();
    assert_eq!(out["r"], json!("1E+308"));
}
