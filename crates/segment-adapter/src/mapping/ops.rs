//! Value operations behind the directives: flattening, merging, null and undefined removal,
//! and the `blank` test of `@if`.

use std::borrow::Cow;

use crate::json::{Obj, Val};

/// `flattenObject(value, "", separator, omitArrays)`: objects (and arrays, unless omitted)
/// become one level of keys joined by `separator`; anything else sits under the current
/// prefix — so a non-object value yields `{"": value}`.
pub(crate) fn flatten<'a>(value: Val<'a>, separator: &str, omit_arrays: bool) -> Val<'a> {
    let mut out = Obj::new();
    flatten_into(&mut out, value, "", separator, omit_arrays);
    Val::Obj(out)
}

fn flatten_into<'a>(out: &mut Obj<'a>, value: Val<'a>, prefix: &str, sep: &str, omit_arrays: bool) {
    let key_for = |k: &str| -> String {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            let mut s = String::with_capacity(prefix.len() + sep.len() + k.len());
            s.push_str(prefix);
            s.push_str(sep);
            s.push_str(k);
            s
        }
    };
    match value {
        Val::Obj(o) => {
            for (k, v) in o {
                let key = key_for(&k);
                flatten_into(out, v, &key, sep, omit_arrays);
            }
        }
        Val::Arr(items) if !omit_arrays => {
            for (i, v) in items.into_iter().enumerate() {
                let key = key_for(&i.to_string());
                flatten_into(out, v, &key, sep, omit_arrays);
            }
        }
        other => out.insert(prefix.to_owned(), other),
    }
}

/// `Object.assign({}, ...sources)`: own enumerable properties, later sources win; `null` and
/// `undefined` are skipped, arrays give their indexes, strings their characters.
pub(crate) fn assign<'a>(sources: Vec<Val<'a>>) -> Val<'a> {
    let mut out = Obj::new();
    for source in sources {
        match source {
            Val::Obj(o) => {
                for (k, v) in o {
                    out.insert(k, v);
                }
            }
            Val::Arr(items) => {
                for (i, v) in items.into_iter().enumerate() {
                    out.insert(i.to_string(), v);
                }
            }
            Val::Str(s) => {
                for (i, unit) in s.encode_utf16().enumerate() {
                    let c = char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER);
                    out.insert(i.to_string(), Val::Str(Cow::Owned(c.to_string())));
                }
            }
            _ => {}
        }
    }
    Val::Obj(out)
}

/// `@excludeWhenNull`: `null` becomes `undefined`; in objects, `null` properties are removed
/// at every depth (arrays are left as they are).
pub(crate) fn exclude_nulls(value: Val<'_>) -> Val<'_> {
    match value {
        Val::Null => Val::Undefined,
        Val::Obj(mut o) => {
            strip_null_properties(&mut o);
            Val::Obj(o)
        }
        other => other,
    }
}

fn strip_null_properties(o: &mut Obj<'_>) {
    o.0.retain(|(_, v)| !matches!(v, Val::Null));
    for (_, v) in o.0.iter_mut() {
        if let Val::Obj(inner) = v {
            strip_null_properties(inner);
        }
    }
}

/// Removes `undefined` properties from objects at every depth; array elements stay.
pub(crate) fn remove_undefined(value: &mut Val<'_>) {
    match value {
        Val::Obj(o) => {
            o.0.retain(|(_, v)| !v.is_undefined());
            for (_, v) in o.0.iter_mut() {
                remove_undefined(v);
            }
        }
        Val::Arr(items) => {
            for v in items.iter_mut() {
                remove_undefined(v);
            }
        }
        _ => {}
    }
}

/// `value != ''` with JavaScript's loose equality, for a value that is not null/undefined.
pub(crate) fn loosely_non_empty(value: &Val<'_>) -> bool {
    match value {
        Val::Undefined | Val::Null => false,
        Val::Str(s) => !s.is_empty(),
        Val::Num(n) => *n != 0.0,
        Val::Bool(b) => *b,
        Val::Arr(_) => !value.js_string().is_empty(),
        Val::Obj(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Val<'_> {
        Val::parse(s).unwrap()
    }

    fn json(v: &Val<'_>) -> String {
        v.to_json().unwrap_or_else(|| "undefined".into())
    }

    #[test]
    fn flatten_joins_keys_and_indexes() {
        let f = flatten(v(r#"{"tags":["a","b"],"co":{"n":1,"e":{}}}"#), "_", false);
        assert_eq!(json(&f), r#"{"tags_0":"a","tags_1":"b","co_n":1}"#);
        let f = flatten(v(r#"{"tags":["a","b"],"co":{"n":1}}"#), "_", true);
        assert_eq!(json(&f), r#"{"tags":["a","b"],"co_n":1}"#);
        let f = flatten(v(r#"[{"a":1}]"#), ".", false);
        assert_eq!(json(&f), r#"{"0.a":1}"#);
    }

    #[test]
    fn flatten_of_a_scalar_or_undefined_uses_the_empty_key() {
        assert_eq!(json(&flatten(v("5"), ".", false)), r#"{"":5}"#);
        let mut u = flatten(Val::Undefined, ".", false);
        remove_undefined(&mut u);
        assert_eq!(json(&u), "{}");
        assert_eq!(json(&flatten(v(r#"{"":{"a":1}}"#), ".", false)), r#"{"a":1}"#);
    }

    #[test]
    fn assign_copies_own_properties_like_object_assign() {
        let m = assign(vec![
            v(r#"{"a":1,"b":2}"#),
            Val::Undefined,
            v(r#"{"a":3}"#),
            v("null"),
            v("7"),
        ]);
        assert_eq!(json(&m), r#"{"a":3,"b":2}"#);
        assert_eq!(json(&assign(vec![v(r#""hi""#), v("[true]")])), r#"{"0":true,"1":"i"}"#);
    }

    #[test]
    fn exclude_nulls_removes_null_properties_deeply_but_not_in_arrays() {
        let e = exclude_nulls(v(r#"{"a":null,"b":{"c":null,"d":1},"e":[null]}"#));
        assert_eq!(json(&e), r#"{"b":{"d":1},"e":[null]}"#);
        assert!(exclude_nulls(v("null")).is_undefined());
        assert_eq!(json(&exclude_nulls(v("0"))), "0");
    }

    #[test]
    fn loose_inequality_with_the_empty_string() {
        for (s, expected) in [
            (r#""""#, false),
            ("0", false),
            ("false", false),
            ("[]", false),
            ("[null]", false),
            (r#""0""#, true),
            ("1", true),
            ("true", true),
            ("[0]", true),
            ("{}", true),
        ] {
            assert_eq!(loosely_non_empty(&v(s)), expected, "{s}");
        }
    }
}
