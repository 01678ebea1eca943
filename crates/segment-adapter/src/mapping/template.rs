//! `@template` rendering: `{{path}}` and `{{{path}}}` placeholders.
//!
//! The reference runs two regular-expression replacements one after the other: first
//! `/\{\{\{([^}]+)\}\}\}/g`, then `/\{\{([^}]+)\}\}/g` over the result of the first. Each
//! placeholder's text is trimmed and looked up as a path; `null`/`undefined` render as `""`,
//! anything else as JavaScript's `String(value)`. Nothing is HTML-escaped.
//!
//! Templates known when the mapping is loaded are split into literal text and pre-parsed
//! paths, unless they contain a triple-brace placeholder (whose output the second pass may
//! read again); those, and templates computed at run time, are rendered by the two passes.

use super::path::{get_plain, PathSpec};
use crate::json::Val;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    Text(Box<str>),
    Value(PathSpec),
}

/// A template prepared when the mapping is loaded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Template {
    Parts(Box<[Part]>),
    TwoPass(Box<str>),
}

impl Template {
    pub(crate) fn compile(template: &str) -> Template {
        if find_placeholder(template, 0, 3).is_some() {
            return Template::TwoPass(template.into());
        }
        let mut parts = Vec::new();
        let mut pos = 0;
        while let Some((start, inner, end)) = find_placeholder(template, pos, 2) {
            if start > pos {
                parts.push(Part::Text(template[pos..start].into()));
            }
            parts.push(Part::Value(PathSpec::parse(js_trim(inner))));
            pos = end;
        }
        if pos < template.len() {
            parts.push(Part::Text(template[pos..].into()));
        }
        Template::Parts(parts.into_boxed_slice())
    }

    /// Top-level fields the template reads; `None` when it may read anything.
    pub(crate) fn roots(&self) -> Option<Vec<&str>> {
        match self {
            Template::TwoPass(_) => None,
            Template::Parts(parts) => {
                let mut roots = Vec::new();
                for p in parts.iter() {
                    if let Part::Value(path) = p {
                        roots.push(path.root()?);
                    }
                }
                Some(roots)
            }
        }
    }

    pub(crate) fn render(&self, data: &Val<'_>) -> String {
        match self {
            Template::TwoPass(t) => render(t, data),
            Template::Parts(parts) => {
                let mut out = String::new();
                for p in parts.iter() {
                    match p {
                        Part::Text(t) => out.push_str(t),
                        Part::Value(path) => push_value(&mut out, &path.get(data)),
                    }
                }
                out
            }
        }
    }
}

/// Renders a template known only at run time.
pub(crate) fn render(template: &str, data: &Val<'_>) -> String {
    let first = replace_pass(template, 3, data);
    replace_pass(&first, 2, data)
}

fn replace_pass(s: &str, braces: usize, data: &Val<'_>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pos = 0;
    while let Some((start, inner, end)) = find_placeholder(s, pos, braces) {
        out.push_str(&s[pos..start]);
        push_value(&mut out, &get_plain(data, js_trim(inner)));
        pos = end;
    }
    out.push_str(&s[pos..]);
    out
}

fn push_value(out: &mut String, v: &Val<'_>) {
    if !v.is_nullish() {
        out.push_str(&v.js_string());
    }
}

/// Finds the next match of `\{{n}([^}]+)\}{n}` at or after `from`, as the regular
/// expression would: the leftmost start position that can match.
/// Returns (start, inner text, end).
fn find_placeholder(s: &str, from: usize, braces: usize) -> Option<(usize, &str, usize)> {
    let bytes = s.as_bytes();
    let mut i = from;
    while i + 2 * braces < bytes.len() {
        if bytes[i..i + braces].iter().all(|&b| b == b'{') {
            let inner_start = i + braces;
            if let Some(close) = bytes[inner_start..].iter().position(|&b| b == b'}') {
                let close = inner_start + close;
                let end = close + braces;
                if close > inner_start && end <= bytes.len() && bytes[close..end].iter().all(|&b| b == b'}') {
                    return Some((i, &s[inner_start..close], end));
                }
            } else {
                return None;
            }
        }
        i += 1;
    }
    None
}

/// `String.prototype.trim`: JavaScript's white space and line terminators.
pub(crate) fn js_trim(s: &str) -> &str {
    fn is_js_space(c: char) -> bool {
        matches!(
            c,
            '\u{9}'..='\u{d}'
                | ' '
                | '\u{a0}'
                | '\u{1680}'
                | '\u{2000}'..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
        )
    }
    s.trim_matches(is_js_space)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev() -> Val<'static> {
        Val::parse(
            r#"{"traits":{"name":"Ada","n":5,"nick":null,"co":{"a":1},"tags":["a","b"],"f":false,"z":0,"First Name":"A"},
                "p":[{"id":"p1"},{"id":"p2"}],"curly":"{{traits.name}}"}"#,
        )
        .unwrap()
    }

    fn both(t: &str) -> String {
        let data = ev();
        let compiled = Template::compile(t).render(&data);
        assert_eq!(
            compiled,
            render(t, &data),
            "compiled and run-time rendering differ for {t}"
        );
        compiled
    }

    #[test]
    fn renders_values_with_javascript_string_conversion() {
        assert_eq!(
            both("{{traits.n}}|{{traits.nick}}|{{traits.co}}|{{traits.tags}}|{{traits.f}}|{{traits.z}}|{{traits.x}}"),
            "5||[object Object]|a,b|false|0|"
        );
        assert_eq!(both("{{p}}"), "[object Object],[object Object]");
    }

    #[test]
    fn trims_spaces_and_supports_triple_braces() {
        assert_eq!(both("{{ traits.name }} {{{traits.name}}}"), "Ada Ada");
        assert_eq!(both("{{traits.First Name}}"), "A");
        assert_eq!(both("{{p[1].id}}:{{p.0.id}}"), "p2:p1");
    }

    #[test]
    fn empty_braces_stay_and_blank_braces_render_the_whole_value() {
        assert_eq!(both("a{{}}b"), "a{{}}b");
        assert_eq!(both("{{ }}"), "[object Object]");
        assert_eq!(both("{{$.traits.name}}"), "");
    }

    #[test]
    fn unclosed_or_nested_braces_follow_the_regular_expression() {
        assert_eq!(both("{{traits.name"), "{{traits.name");
        assert_eq!(both("{{{}}}"), "}");
        assert_eq!(both("x{{a}b}}"), "x{{a}b}}");
    }

    #[test]
    fn triple_brace_output_is_read_again_by_the_double_brace_pass() {
        assert_eq!(both("{{{curly}}}"), "Ada");
        assert!(matches!(Template::compile("{{{curly}}}"), Template::TwoPass(_)));
        assert_eq!(both("{{curly}}"), "{{traits.name}}");
    }

    #[test]
    fn roots_name_top_level_fields_or_none_for_the_whole_value() {
        assert_eq!(Template::compile("{{a.b}} {{c}}").roots(), Some(vec!["a", "c"]));
        assert_eq!(Template::compile("{{ }}").roots(), None);
        assert_eq!(Template::compile("{{{a}}}").roots(), None);
    }
}
