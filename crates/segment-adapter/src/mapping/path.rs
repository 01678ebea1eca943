//! Path lookup as mapping-kit does it (`get` of actions-core).
//!
//! A path is split on `.`, on `[` followed by a quote or a digit, and on runs of `]` preceded
//! by a quote or a digit; empty pieces are dropped and quotes are then removed from each
//! piece. So `a.b`, `a[0].b`, `a.0.b` and `a['b']` all work, keys may contain spaces, and a
//! key containing a dot cannot be reached. `""` and `"."` are the whole value.
//!
//! The walk stops at the first falsy value and returns it (`prev && prev[key]`), so a path
//! through `0`, `""`, `false` or `null` yields that value rather than `undefined`.

use std::borrow::Cow;

use crate::json::Val;

/// A path split into its keys once, when the mapping is loaded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PathSpec {
    keys: Box<[Box<str>]>,
}

impl PathSpec {
    /// Splits a path the way placeholders of `@template` see it (no `$.` handling).
    pub(crate) fn parse(path: &str) -> PathSpec {
        if path.is_empty() || path == "." {
            return PathSpec { keys: Box::new([]) };
        }
        let keys: Vec<Box<str>> = split_path(path)
            .into_iter()
            .map(|piece| piece.replace(['\'', '"'], "").into_boxed_str())
            .collect();
        PathSpec {
            keys: keys.into_boxed_slice(),
        }
    }

    /// Splits a path of `@path` / `@arrayPath`: the first `$.` anywhere is removed first.
    pub(crate) fn parse_dollar(path: &str) -> PathSpec {
        PathSpec::parse(&path.replacen("$.", "", 1))
    }

    /// The first key, i.e. the top-level field read; `None` when the path is the whole value.
    pub(crate) fn root(&self) -> Option<&str> {
        self.keys.first().map(|k| &**k)
    }

    /// The keys, one per step.
    pub(crate) fn keys(&self) -> &[Box<str>] {
        &self.keys
    }

    /// Looks the path up in `data`.
    pub(crate) fn get<'a>(&self, data: &Val<'a>) -> Val<'a> {
        walk(data, &self.keys)
    }
}

fn is_quote_or_digit(c: u8) -> bool {
    c == b'"' || c == b'\'' || c.is_ascii_digit()
}

/// `path.split(/\[(?="|'|\d)|\.|(?<="|'|\d)]+/).filter(Boolean)`.
fn split_path(path: &str) -> Vec<&str> {
    let bytes = path.as_bytes();
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let opens_index = b == b'[' && bytes.get(i + 1).is_some_and(|&n| is_quote_or_digit(n));
        let sep_end = if opens_index || b == b'.' {
            Some(i + 1)
        } else if b == b']' && i > 0 && is_quote_or_digit(bytes[i - 1]) {
            let mut e = i;
            while e < bytes.len() && bytes[e] == b']' {
                e += 1;
            }
            Some(e)
        } else {
            None
        };
        match sep_end {
            Some(e) => {
                if start < i {
                    pieces.push(&path[start..i]);
                }
                start = e;
                i = e;
            }
            None => i += 1,
        }
    }
    if start < bytes.len() {
        pieces.push(&path[start..]);
    }
    pieces
}

/// A value reached by one step: borrowed from the data, or computed (`length`, a character).
enum Step<'r, 'a> {
    At(&'r Val<'a>),
    Made(Val<'a>),
}

fn walk<'a, K: AsRef<str>>(data: &Val<'a>, keys: &[K]) -> Val<'a> {
    let mut cur = data;
    for (i, key) in keys.iter().enumerate() {
        if !cur.is_truthy() {
            break;
        }
        match property(cur, key.as_ref()) {
            None => return Val::Undefined,
            Some(Step::At(next)) => cur = next,
            Some(Step::Made(v)) => return walk_owned(v, &keys[i + 1..]),
        }
    }
    cur.clone()
}

fn walk_owned<'a, K: AsRef<str>>(mut cur: Val<'a>, keys: &[K]) -> Val<'a> {
    for key in keys {
        if !cur.is_truthy() {
            break;
        }
        cur = match property(&cur, key.as_ref()) {
            None => return Val::Undefined,
            Some(Step::At(next)) => next.clone(),
            Some(Step::Made(v)) => v,
        };
    }
    cur
}

/// `value[key]` for the own properties a JSON value has in JavaScript. Inherited members
/// (`constructor`, `toString`, ...) are functions in JavaScript and read as `undefined` here.
fn property<'r, 'a>(value: &'r Val<'a>, key: &str) -> Option<Step<'r, 'a>> {
    match value {
        Val::Obj(o) => o.get(key).map(Step::At),
        Val::Arr(items) => {
            if key == "length" {
                Some(Step::Made(Val::Num(items.len() as f64)))
            } else {
                value.get(key).map(Step::At)
            }
        }
        Val::Str(s) => string_property(s, key).map(Step::Made),
        _ => None,
    }
}

fn string_property<'a>(s: &str, key: &str) -> Option<Val<'a>> {
    if key == "length" {
        return Some(Val::Num(s.encode_utf16().count() as f64));
    }
    let index = array_index(key)?;
    let unit = s.encode_utf16().nth(index)?;
    // A lone surrogate half cannot be a Rust string; it reads as U+FFFD.
    let c = char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER);
    Some(Val::Str(Cow::Owned(c.to_string())))
}

fn array_index(key: &str) -> Option<usize> {
    if key.is_empty() || (key.len() > 1 && key.starts_with('0')) || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    key.parse().ok()
}

/// Looks up a path computed at run time (`@path` of a directive).
pub(crate) fn get_dynamic<'a>(data: &Val<'a>, path: &str) -> Val<'a> {
    let path = path.replacen("$.", "", 1);
    if path.is_empty() || path == "." {
        return data.clone();
    }
    let pieces: Vec<String> = split_path(&path)
        .into_iter()
        .map(|p| p.replace(['\'', '"'], ""))
        .collect();
    walk(data, &pieces)
}

/// Looks up a template placeholder computed at run time.
pub(crate) fn get_plain<'a>(data: &Val<'a>, path: &str) -> Val<'a> {
    if path.is_empty() || path == "." {
        return data.clone();
    }
    let pieces: Vec<String> = split_path(path)
        .into_iter()
        .map(|p| p.replace(['\'', '"'], ""))
        .collect();
    walk(data, &pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(p: &str) -> Vec<String> {
        PathSpec::parse_dollar(p).keys.iter().map(|k| k.to_string()).collect()
    }

    #[test]
    fn splits_dots_indexes_and_quoted_keys() {
        assert_eq!(
            keys("$.properties.products[0].id"),
            ["properties", "products", "0", "id"]
        );
        assert_eq!(
            keys("properties.products.1.price"),
            ["properties", "products", "1", "price"]
        );
        assert_eq!(keys("$.shipping['method']"), ["shipping", "method"]);
        assert_eq!(keys("a[\"b c\"]"), ["a", "b c"]);
        assert_eq!(keys("traits.First Name"), ["traits", "First Name"]);
    }

    #[test]
    fn brackets_without_quote_or_digit_stay_in_the_key() {
        assert_eq!(keys("a[b]"), ["a[b]"]);
        assert_eq!(keys("a[0]]]"), ["a", "0"]);
    }

    #[test]
    fn dotted_keys_are_split_even_inside_quotes() {
        assert_eq!(keys("traits['a.b']"), ["traits", "a", "b"]);
    }

    #[test]
    fn only_the_first_dollar_dot_is_removed() {
        assert_eq!(keys("a.$.b"), ["a", "b"]);
        assert_eq!(keys("$.a.$.b"), ["a", "$", "b"]);
        assert!(keys("$.").is_empty());
        assert!(keys(".").is_empty());
        assert!(keys("").is_empty());
    }

    #[test]
    fn empty_quoted_key_reads_the_empty_key() {
        assert_eq!(keys("a['']"), ["a", ""]);
    }

    #[test]
    fn falsy_intermediate_values_are_returned() {
        let ev = Val::parse(r#"{"t":{"zero":0,"empty":"","flag":false,"nick":null,"n":{"x":1}}}"#).unwrap();
        let get = |p: &str| PathSpec::parse_dollar(p).get(&ev).to_json();
        assert_eq!(get("$.t.zero.foo").as_deref(), Some("0"));
        assert_eq!(get("$.t.empty.foo").as_deref(), Some("\"\""));
        assert_eq!(get("$.t.flag.foo").as_deref(), Some("false"));
        assert_eq!(get("$.t.nick.foo").as_deref(), Some("null"));
        assert_eq!(get("$.t.n.x").as_deref(), Some("1"));
        assert_eq!(get("$.t.missing.foo"), None);
    }

    #[test]
    fn strings_and_arrays_have_length_and_indexes() {
        let ev = Val::parse(r#"{"s":"héllo","a":[10,20]}"#).unwrap();
        let get = |p: &str| PathSpec::parse_dollar(p).get(&ev).to_json();
        assert_eq!(get("s.length").as_deref(), Some("5"));
        assert_eq!(get("s.1").as_deref(), Some("\"é\""));
        assert_eq!(get("a.length").as_deref(), Some("2"));
        assert_eq!(get("a[1]").as_deref(), Some("20"));
        assert_eq!(get("a.01"), None);
        assert_eq!(get("a.constructor"), None);
    }

    #[test]
    fn runtime_paths_match_precompiled_ones() {
        let ev = Val::parse(r#"{"a":{"b":[{"c":"x"}]}}"#).unwrap();
        for p in ["$.a.b[0].c", "a.b.0.c", "$.", "", "a['b'][0]['c']"] {
            assert_eq!(get_dynamic(&ev, p), PathSpec::parse_dollar(p).get(&ev), "{p}");
        }
        assert_eq!(get_plain(&ev, "$.a"), Val::Undefined);
    }
}
