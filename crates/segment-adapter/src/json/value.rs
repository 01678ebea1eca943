use std::borrow::Cow;
use std::fmt;

/// A JSON value as a JavaScript program would see it after `JSON.parse`.
#[derive(Clone, PartialEq, Default)]
pub enum Val<'a> {
    /// JavaScript `undefined`: a missing value. Removed from objects when serialized,
    /// written as `null` inside arrays.
    #[default]
    Undefined,
    Null,
    Bool(bool),
    /// JavaScript numbers are IEEE doubles.
    Num(f64),
    Str(Cow<'a, str>),
    Arr(Vec<Val<'a>>),
    Obj(Obj<'a>),
}

/// An object with insertion-ordered keys. Setting an existing key replaces its value
/// in place, as JavaScript does.
#[derive(Clone, PartialEq, Default)]
pub struct Obj<'a>(pub Vec<(Cow<'a, str>, Val<'a>)>);

impl<'a> Obj<'a> {
    pub fn new() -> Self {
        Obj(Vec::new())
    }

    pub fn with_capacity(n: usize) -> Self {
        Obj(Vec::with_capacity(n))
    }

    pub fn get(&self, key: &str) -> Option<&Val<'a>> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn insert(&mut self, key: impl Into<Cow<'a, str>>, value: Val<'a>) {
        let key = key.into();
        if let Some(slot) = self.0.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            self.0.push((key, value));
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Val<'a>> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(i).1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Val<'a>)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_ref())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_owned(self) -> Obj<'static> {
        Obj(self
            .0
            .into_iter()
            .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
            .collect())
    }
}

impl<'a> IntoIterator for Obj<'a> {
    type Item = (Cow<'a, str>, Val<'a>);
    type IntoIter = std::vec::IntoIter<(Cow<'a, str>, Val<'a>)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// `Number.prototype.toString()`: `1` not `1.0`, `1e+21`, `0.1`, `-0` is `0`.
pub fn js_number_to_string(n: f64) -> String {
    if n == 0.0 {
        return "0".to_owned();
    }
    let mut buf = ryu_js::Buffer::new();
    buf.format(n).to_owned()
}

impl<'a> Val<'a> {
    pub fn str(s: &'a str) -> Self {
        Val::Str(Cow::Borrowed(s))
    }

    pub fn string(s: String) -> Self {
        Val::Str(Cow::Owned(s))
    }

    pub fn is_undefined(&self) -> bool {
        matches!(self, Val::Undefined)
    }

    /// `undefined` or `null`.
    pub fn is_nullish(&self) -> bool {
        matches!(self, Val::Undefined | Val::Null)
    }

    /// JavaScript truthiness: `false`, `0`, `NaN`, `""`, `null`, `undefined` are falsy.
    pub fn is_truthy(&self) -> bool {
        match self {
            Val::Undefined | Val::Null => false,
            Val::Bool(b) => *b,
            Val::Num(n) => *n != 0.0 && !n.is_nan(),
            Val::Str(s) => !s.is_empty(),
            Val::Arr(_) | Val::Obj(_) => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_obj(&self) -> Option<&Obj<'a>> {
        match self {
            Val::Obj(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_arr(&self) -> Option<&[Val<'a>]> {
        match self {
            Val::Arr(a) => Some(a),
            _ => None,
        }
    }

    /// Property access as JavaScript does it on a parsed JSON value: object keys, array
    /// indices (`"0"`), and `length` of arrays and strings. Anything else is `None`
    /// (JavaScript `undefined`).
    pub fn get(&self, key: &str) -> Option<&Val<'a>> {
        match self {
            Val::Obj(o) => o.get(key),
            Val::Arr(a) => parse_index(key).and_then(|i| a.get(i)),
            _ => None,
        }
    }

    /// A short name of the JSON type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::Undefined => "undefined",
            Val::Null => "null",
            Val::Bool(_) => "boolean",
            Val::Num(_) => "number",
            Val::Str(_) => "string",
            Val::Arr(_) => "array",
            Val::Obj(_) => "object",
        }
    }

    /// `String(x)` in JavaScript.
    pub fn js_string(&self) -> Cow<'_, str> {
        match self {
            Val::Undefined => Cow::Borrowed("undefined"),
            Val::Null => Cow::Borrowed("null"),
            Val::Bool(true) => Cow::Borrowed("true"),
            Val::Bool(false) => Cow::Borrowed("false"),
            Val::Num(n) => Cow::Owned(js_number_to_string(*n)),
            Val::Str(s) => Cow::Borrowed(s),
            Val::Arr(items) => {
                // Array.prototype.join(","): null and undefined become "".
                let mut out = String::new();
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if !item.is_nullish() {
                        out.push_str(&item.js_string());
                    }
                }
                Cow::Owned(out)
            }
            Val::Obj(_) => Cow::Borrowed("[object Object]"),
        }
    }

    /// `JSON.stringify(x)`; `None` where JavaScript returns `undefined`.
    pub fn to_json(&self) -> Option<String> {
        if self.is_undefined() {
            return None;
        }
        let mut out = String::new();
        self.write_json(&mut out);
        Some(out)
    }

    /// Appends `JSON.stringify(x)`. `undefined` at the top is written as `null`.
    pub fn write_json(&self, out: &mut String) {
        match self {
            Val::Undefined | Val::Null => out.push_str("null"),
            Val::Bool(true) => out.push_str("true"),
            Val::Bool(false) => out.push_str("false"),
            Val::Num(n) => {
                if n.is_finite() {
                    if *n == 0.0 {
                        out.push('0');
                    } else {
                        out.push_str(ryu_js::Buffer::new().format(*n));
                    }
                } else {
                    out.push_str("null");
                }
            }
            Val::Str(s) => domain::json_text::write_json_str(out, s),
            Val::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Val::Obj(o) => {
                out.push('{');
                let mut first = true;
                for (k, v) in o.iter() {
                    if v.is_undefined() {
                        continue;
                    }
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    domain::json_text::write_json_str(out, k);
                    out.push(':');
                    v.write_json(out);
                }
                out.push('}');
            }
        }
    }

    /// The same value with its strings borrowed from `self` (containers are rebuilt).
    pub fn borrowed(&self) -> Val<'_> {
        match self {
            Val::Undefined => Val::Undefined,
            Val::Null => Val::Null,
            Val::Bool(b) => Val::Bool(*b),
            Val::Num(n) => Val::Num(*n),
            Val::Str(s) => Val::Str(Cow::Borrowed(s)),
            Val::Arr(a) => Val::Arr(a.iter().map(Val::borrowed).collect()),
            Val::Obj(o) => Val::Obj(Obj(o
                .0
                .iter()
                .map(|(k, v)| (Cow::Borrowed(&**k), v.borrowed()))
                .collect())),
        }
    }

    pub fn into_owned(self) -> Val<'static> {
        match self {
            Val::Undefined => Val::Undefined,
            Val::Null => Val::Null,
            Val::Bool(b) => Val::Bool(b),
            Val::Num(n) => Val::Num(n),
            Val::Str(s) => Val::Str(Cow::Owned(s.into_owned())),
            Val::Arr(a) => Val::Arr(a.into_iter().map(Val::into_owned).collect()),
            Val::Obj(o) => Val::Obj(o.into_owned()),
        }
    }

    /// Converts from `serde_json::Value` (tests, configuration).
    pub fn from_serde(v: &serde_json::Value) -> Val<'static> {
        match v {
            serde_json::Value::Null => Val::Null,
            serde_json::Value::Bool(b) => Val::Bool(*b),
            serde_json::Value::Number(n) => Val::Num(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Val::Str(Cow::Owned(s.clone())),
            serde_json::Value::Array(a) => Val::Arr(a.iter().map(Val::from_serde).collect()),
            serde_json::Value::Object(m) => Val::Obj(Obj(m
                .iter()
                .map(|(k, v)| (Cow::Owned(k.clone()), Val::from_serde(v)))
                .collect())),
        }
    }

    /// Converts to `serde_json::Value` the way `JSON.parse(JSON.stringify(x))` would;
    /// `undefined` becomes `None`.
    pub fn to_serde(&self) -> Option<serde_json::Value> {
        self.to_json()
            .map(|s| serde_json::from_str(&s).unwrap_or(serde_json::Value::Null))
    }
}

fn parse_index(key: &str) -> Option<usize> {
    if key.is_empty() || (key.len() > 1 && key.starts_with('0')) || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    key.parse().ok()
}

impl fmt::Debug for Val<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_json() {
            Some(s) => f.write_str(&s),
            None => f.write_str("undefined"),
        }
    }
}

impl fmt::Debug for Obj<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&Val::Obj(self.clone()), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let v = Val::parse(r#"{"a":"plain","b":"esc\"aped"}"#).unwrap();
        let o = v.as_obj().unwrap();
        assert!(matches!(o.get("a"), Some(Val::Str(Cow::Borrowed("plain")))));
        assert!(matches!(o.get("b"), Some(Val::Str(Cow::Owned(s))) if s == "esc\"aped"));
    }

    #[test]
    fn duplicate_keys_keep_first_position_and_last_value() {
        let v = Val::parse(r#"{"a":1,"b":2,"a":3}"#).unwrap();
        assert_eq!(v.to_json().unwrap(), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn js_string_conversion_matches_javascript() {
        let v = Val::parse(r#"[5, 1.5, false, null, {"x":1}, ["a","b"], 1e21, 0.1, -0.0, 100.0]"#).unwrap();
        let got: Vec<String> = v.as_arr().unwrap().iter().map(|x| x.js_string().into_owned()).collect();
        assert_eq!(
            got,
            [
                "5",
                "1.5",
                "false",
                "null",
                "[object Object]",
                "a,b",
                "1e+21",
                "0.1",
                "0",
                "100"
            ]
        );
    }

    #[test]
    fn undefined_is_dropped_from_objects_and_null_in_arrays() {
        let mut o = Obj::new();
        o.insert("gone", Val::Undefined);
        o.insert("arr", Val::Arr(vec![Val::str("a"), Val::Undefined]));
        assert_eq!(Val::Obj(o).to_json().unwrap(), r#"{"arr":["a",null]}"#);
    }

    #[test]
    fn truthiness_is_javascripts() {
        for (json, truthy) in [
            ("0", false),
            ("\"\"", false),
            ("null", false),
            ("false", false),
            ("[]", true),
            ("{}", true),
            ("\"0\"", true),
            ("-1", true),
        ] {
            assert_eq!(Val::parse(json).unwrap().is_truthy(), truthy, "{json}");
        }
    }

    #[test]
    fn nesting_within_the_limit_parses_and_beyond_is_an_error() {
        let depth = 100;
        let s = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(Val::parse(&s).is_ok());
        let s = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(Val::parse(&s).is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,200}") {
            let _ = Val::parse(&s);
        }

        #[test]
        fn serialization_round_trips_through_serde_json(v in arb_json()) {
            let text = serde_json::to_string(&v).unwrap();
            let parsed = Val::parse(&text).unwrap();
            let back: serde_json::Value = serde_json::from_str(&parsed.to_json().unwrap()).unwrap();
            prop_assert_eq!(numbers_as_f64(&back), numbers_as_f64(&v));
        }
    }

    fn numbers_as_f64(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Number(n) => serde_json::json!(n.as_f64()),
            serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(numbers_as_f64).collect()),
            serde_json::Value::Object(m) => {
                serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), numbers_as_f64(v))).collect())
            }
            other => other.clone(),
        }
    }

    fn arb_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i32>().prop_map(|n| serde_json::json!(n)),
            (-1e6f64..1e6).prop_map(|n| serde_json::json!(n)),
            ".{0,12}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
                prop::collection::btree_map("[a-z]{0,4}", inner, 0..5)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
