//! `@replace`: a literal (never regular-expression) search, with the JavaScript details that
//! `String.prototype.replace(new RegExp(escaped, flags), replacement)` brings along:
//! `$&`, `` $` ``, `$'` and `$$` in the replacement, and case-insensitive matching by
//! upper-case canonicalisation of UTF-16 code units.

/// Replaces `pattern` (non-empty) in `value`: every occurrence when `global`, else the first.
pub(crate) fn replace_literal(
    value: &str,
    pattern: &str,
    replacement: &str,
    global: bool,
    ignore_case: bool,
) -> String {
    let mut out = String::with_capacity(value.len());
    let mut pos = 0;
    while let Some((start, end)) = find(value, pattern, pos, ignore_case) {
        out.push_str(&value[pos..start]);
        substitute(&mut out, replacement, value, start, end);
        pos = end;
        if !global {
            break;
        }
    }
    out.push_str(&value[pos..]);
    out
}

fn find(hay: &str, needle: &str, from: usize, ignore_case: bool) -> Option<(usize, usize)> {
    if !ignore_case {
        return hay[from..].find(needle).map(|i| (from + i, from + i + needle.len()));
    }
    let needle: Vec<char> = needle.chars().map(canonicalize).collect();
    let rest = &hay[from..];
    for (i, _) in rest.char_indices() {
        let mut chars = rest[i..].char_indices();
        let mut matched = true;
        let mut end = i;
        for &n in &needle {
            match chars.next() {
                Some((j, c)) if canonicalize(c) == n => end = i + j + c.len_utf8(),
                _ => {
                    matched = false;
                    break;
                }
            }
        }
        if matched {
            return Some((from + i, from + end));
        }
    }
    None
}

/// The RegExp `Canonicalize` of non-Unicode mode: the single-unit upper case of a character,
/// unless that would map a non-ASCII character to ASCII. Characters outside the Basic
/// Multilingual Plane are two code units there and are left alone.
fn canonicalize(c: char) -> char {
    if (c as u32) > 0xFFFF {
        return c;
    }
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) if (u as u32) <= 0xFFFF => {
            if (c as u32) >= 128 && (u as u32) < 128 {
                c
            } else {
                u
            }
        }
        _ => c,
    }
}

/// `GetSubstitution` for a pattern without capture groups.
fn substitute(out: &mut String, replacement: &str, value: &str, start: usize, end: usize) {
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('$') => {
                out.push('$');
                chars.next();
            }
            Some('&') => {
                out.push_str(&value[start..end]);
                chars.next();
            }
            Some('`') => {
                out.push_str(&value[..start]);
                chars.next();
            }
            Some('\'') => {
                out.push_str(&value[end..]);
                chars.next();
            }
            _ => out.push('$'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_every_occurrence_literally() {
        assert_eq!(replace_literal("AB-12-CD-34", "-", "", true, false), "AB12CD34");
        assert_eq!(replace_literal("a.b.c", ".", "/", true, false), "a/b/c");
        assert_eq!(replace_literal("a*b+c", "*", "x", true, false), "axb+c");
    }

    #[test]
    fn non_global_replaces_the_first_occurrence_only() {
        assert_eq!(replace_literal("AB-12-CD-34", "-", "_", false, false), "AB_12-CD-34");
    }

    #[test]
    fn ignore_case_matches_by_upper_case() {
        assert_eq!(replace_literal("usd and USD", "UsD", "EUR", true, true), "EUR and EUR");
        assert_eq!(replace_literal("ÉCOLE école", "école", "x", true, true), "x x");
        // The Kelvin sign upper-cases to itself, not to ASCII K.
        assert_eq!(replace_literal("\u{212A}k", "k", "x", true, true), "\u{212A}x");
    }

    #[test]
    fn replacement_dollar_patterns_follow_javascript() {
        assert_eq!(replace_literal("a-b", "-", "[$&]", true, false), "a[-]b");
        assert_eq!(replace_literal("a-b", "-", "$$", true, false), "a$b");
        assert_eq!(replace_literal("a-b", "-", "$`", true, false), "aab");
        assert_eq!(replace_literal("a-b", "-", "$'", true, false), "abb");
        assert_eq!(replace_literal("a-b", "-", "$1$", true, false), "a$1$b");
    }

    #[test]
    fn multibyte_text_is_kept_intact() {
        assert_eq!(replace_literal("日本-語", "-", "・", true, false), "日本・語");
        assert_eq!(replace_literal("ÄÖ", "ö", "o", true, true), "Äo");
    }
}
