//! Evaluation of a parsed subscription against an event, with the reference's
//! JavaScript semantics: property walks that stop at the first falsy value, strict
//! string equality, number-only ordering, and the operators' rules for missing fields.

use super::ast::{Combinator, Condition, Field, Group, Node, Test};
use super::js::{array_index, ARRAY_METHODS, NUMBER_METHODS, OBJECT_MEMBERS, STRING_METHODS};
use crate::json::Val;

/// A JavaScript value reached from the event.
#[derive(Debug, Clone, PartialEq)]
enum Js<'v, 'a> {
    Undefined,
    /// A value of the event itself.
    Json(&'v Val<'a>),
    /// The `length` of an array or a string.
    Number(f64),
    /// One UTF-16 unit of a string (`s[0]`), possibly half of a surrogate pair.
    Unit(u16),
    /// A built-in method reached through the prototype chain. Its own members (`name`,
    /// `length`) are not modelled and read as `undefined`.
    Function,
}

impl Js<'_, '_> {
    fn is_truthy(&self) -> bool {
        match self {
            Js::Undefined => false,
            Js::Json(v) => v.is_truthy(),
            Js::Number(n) => *n != 0.0 && !n.is_nan(),
            Js::Unit(_) | Js::Function => true,
        }
    }

    fn is_nullish(&self) -> bool {
        match self {
            Js::Undefined => true,
            Js::Json(v) => v.is_nullish(),
            _ => false,
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Js::Json(Val::Num(n)) | Js::Number(n) => Some(*n),
            _ => None,
        }
    }
}

fn member(list: &[&str], key: &str) -> bool {
    list.contains(&key)
}

/// `value[key]` for a value that is neither `null` nor `undefined`.
fn property<'v, 'a>(value: &Js<'v, 'a>, key: &str) -> Js<'v, 'a> {
    let inherited = |methods: &[&str]| {
        if member(methods, key) || member(OBJECT_MEMBERS, key) {
            Js::Function
        } else {
            Js::Undefined
        }
    };
    match value {
        Js::Json(Val::Obj(o)) => match o.get(key) {
            Some(v) => Js::Json(v),
            None => inherited(&[]),
        },
        Js::Json(Val::Arr(items)) => match array_index(key) {
            Some(i) => items.get(i).map_or(Js::Undefined, Js::Json),
            None if key == "length" => Js::Number(items.len() as f64),
            None => inherited(ARRAY_METHODS),
        },
        Js::Json(Val::Str(s)) => match array_index(key) {
            Some(i) => s.encode_utf16().nth(i).map_or(Js::Undefined, Js::Unit),
            None if key == "length" => Js::Number(s.encode_utf16().count() as f64),
            None => inherited(STRING_METHODS),
        },
        Js::Unit(u) => match key {
            "0" => Js::Unit(*u),
            "length" => Js::Number(1.0),
            _ => inherited(STRING_METHODS),
        },
        Js::Json(Val::Num(_)) | Js::Number(_) => inherited(NUMBER_METHODS),
        Js::Json(Val::Bool(_)) => inherited(&[]),
        Js::Json(Val::Null | Val::Undefined) | Js::Undefined | Js::Function => Js::Undefined,
    }
}

/// The reference's `get(object, path)`: `keys.reduce((o, k) => o && o[k], object)`.
fn walk<'v, 'a>(start: Js<'v, 'a>, keys: &[String]) -> Js<'v, 'a> {
    let mut current = start;
    for key in keys {
        if !current.is_truthy() {
            return current;
        }
        current = property(&current, key);
    }
    current
}

fn read<'v, 'a>(event: &'v Val<'a>, field: &Field) -> Js<'v, 'a> {
    let top = |key: &str| property(&Js::Json(event), key);
    match field {
        Field::Type => top("type"),
        Field::Event => top("event"),
        Field::Name => top("name"),
        Field::UserId => top("userId"),
        Field::Property(keys) => walk(top("properties"), keys),
        Field::Trait(keys) => walk(top("traits"), keys),
        Field::Context(keys) => walk(top("context"), keys),
    }
}

/// A string test on the actual value; false when it is not a string.
fn string_test(actual: &Js<'_, '_>, test: impl Fn(&str) -> bool, units: impl Fn(&[u16]) -> bool) -> bool {
    match actual {
        Js::Json(Val::Str(s)) => test(s),
        Js::Unit(u) => units(&[*u]),
        _ => false,
    }
}

fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn check(actual: &Js<'_, '_>, test: &Test) -> bool {
    let num = |cmp: fn(f64, f64) -> bool, expected: f64| actual.number().is_some_and(|n| cmp(n, expected));
    let is_str = || matches!(actual, Js::Json(Val::Str(_)) | Js::Unit(_));
    match test {
        Test::Equals(e) => string_test(actual, |s| s == e, |u| u == utf16(e)),
        Test::NotEquals(e) => !string_test(actual, |s| s == e, |u| u == utf16(e)),
        Test::Less(e) => num(|a, b| a < b, *e),
        Test::LessOrEqual(e) => num(|a, b| a <= b, *e),
        Test::Greater(e) => num(|a, b| a > b, *e),
        Test::GreaterOrEqual(e) => num(|a, b| a >= b, *e),
        Test::NumberEquals(e) => num(|a, b| a == b, *e),
        Test::NumberNotEquals(e) => num(|a, b| a != b, *e),
        Test::Contains(e) => string_test(actual, |s| s.contains(e.as_str()), |u| contains_units(u, &utf16(e))),
        Test::NotContains(e) => is_str() && !check(actual, &Test::Contains(e.clone())),
        Test::StartsWith(e) => string_test(actual, |s| s.starts_with(e.as_str()), |u| u.starts_with(&utf16(e))),
        Test::NotStartsWith(e) => is_str() && !check(actual, &Test::StartsWith(e.clone())),
        Test::EndsWith(e) => string_test(actual, |s| s.ends_with(e.as_str()), |u| u.ends_with(&utf16(e))),
        Test::NotEndsWith(e) => is_str() && !check(actual, &Test::EndsWith(e.clone())),
        Test::Exists => !actual.is_nullish(),
        Test::NotExists => actual.is_nullish(),
        Test::IsTrue => matches!(actual, Js::Json(Val::Bool(true))),
        Test::IsFalse => matches!(actual, Js::Json(Val::Bool(false))),
    }
}

fn contains_units(haystack: &[u16], needle: &[u16]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

fn condition(event: &Val<'_>, c: &Condition) -> bool {
    check(&read(event, &c.field), &c.test)
}

fn node(event: &Val<'_>, n: &Node) -> bool {
    match n {
        Node::Condition(c) => condition(event, c),
        Node::Group(g) => group(event, g),
    }
}

pub(crate) fn group(event: &Val<'_>, g: &Group) -> bool {
    match g.combinator {
        Combinator::And => g.children.iter().all(|c| node(event, c)),
        Combinator::Or => g.children.iter().any(|c| node(event, c)),
    }
}

/// Whether `event` matches. Events that are not objects never match (the reference
/// answers `false` for `undefined` and throws for `null`).
pub(crate) fn matches(event: &Val<'_>, g: &Group) -> bool {
    if !matches!(event, Val::Obj(_)) {
        return false;
    }
    group(event, g)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(path: &str) -> Vec<String> {
        path.split('.').map(str::to_owned).collect()
    }

    fn get(json: &str, path: &str) -> String {
        let v = Val::parse(json).unwrap();
        format!("{:?}", walk(Js::Json(&v), &keys(path)))
    }

    #[test]
    fn walk_stops_at_the_first_falsy_value_and_returns_it() {
        assert_eq!(get(r#"{"zero":0}"#, "zero.nested"), "Json(0)");
        assert_eq!(get(r#"{"e":""}"#, "e.x.y"), "Json(\"\")");
        assert_eq!(get(r#"{"n":null}"#, "n.x"), "Json(null)");
        assert_eq!(get(r#"{"three":3}"#, "three.nested"), "Undefined");
    }

    #[test]
    fn arrays_and_strings_answer_indices_and_length() {
        assert_eq!(get(r#"{"a":[{"sku":"x"}]}"#, "a.0.sku"), "Json(\"x\")");
        assert_eq!(get(r#"{"a":[1,2,3]}"#, "a.length"), "Number(3.0)");
        assert_eq!(get(r#"{"a":[1]}"#, "a.01"), "Undefined");
        assert_eq!(get(r#"{"s":"héllo"}"#, "s.length"), "Number(5.0)");
        assert_eq!(get(r#"{"s":"😀"}"#, "s.length"), "Number(2.0)");
        assert_eq!(get(r#"{"s":"ab"}"#, "s.1"), format!("Unit({})", u16::from(b'b')));
    }

    #[test]
    fn built_in_methods_are_functions_and_other_keys_undefined() {
        assert_eq!(get(r#"{"a":[1]}"#, "a.map"), "Function");
        assert_eq!(get(r#"{"s":"x"}"#, "s.trim"), "Function");
        assert_eq!(get(r#"{"n":5}"#, "n.toFixed"), "Function");
        assert_eq!(get(r#"{"o":{}}"#, "o.map"), "Undefined");
        assert_eq!(get(r#"{"b":true}"#, "b.x"), "Undefined");
    }

    #[test]
    fn equality_is_strict_on_strings_and_inequality_true_for_non_strings() {
        let three = Val::Num(3.0);
        let s = Val::str("3");
        assert!(!check(&Js::Json(&three), &Test::Equals("3".into())));
        assert!(check(&Js::Json(&s), &Test::Equals("3".into())));
        assert!(check(&Js::Json(&three), &Test::NotEquals("3".into())));
        assert!(check(&Js::Undefined, &Test::NotEquals("x".into())));
    }

    #[test]
    fn negated_string_tests_and_number_inequality_are_false_when_missing() {
        for t in [
            Test::NotContains("x".into()),
            Test::NotStartsWith("x".into()),
            Test::NotEndsWith("x".into()),
            Test::NumberNotEquals(1.0),
            Test::IsFalse,
            Test::Less(1e300),
        ] {
            assert!(!check(&Js::Undefined, &t), "{t:?}");
        }
        assert!(check(&Js::Undefined, &Test::NotExists));
    }

    #[test]
    fn ordering_only_applies_to_numbers() {
        let s = Val::str("3");
        let n = Val::Num(3.0);
        assert!(!check(&Js::Json(&s), &Test::Greater(1.0)));
        assert!(check(&Js::Json(&n), &Test::Greater(1.0)));
        assert!(check(&Js::Number(2.0), &Test::LessOrEqual(2.0)));
        let nan = Val::Num(f64::NAN);
        assert!(check(&Js::Json(&nan), &Test::NumberNotEquals(1.0)));
        assert!(!check(&Js::Json(&nan), &Test::GreaterOrEqual(f64::NEG_INFINITY)));
    }

    #[test]
    fn a_single_string_unit_compares_as_a_one_character_string() {
        let unit = Js::Unit(u16::from(b'p'));
        assert!(check(&unit, &Test::Equals("p".into())));
        assert!(check(&unit, &Test::Contains(String::new())));
        assert!(check(&unit, &Test::StartsWith("p".into())));
        assert!(!check(&unit, &Test::EndsWith("pp".into())));
        let half = Js::Unit(0xd83d);
        assert!(check(&half, &Test::NotEquals("😀".into())));
        assert!(check(&half, &Test::NotContains("a".into())));
    }
}
