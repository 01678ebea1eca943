//! A fast path for [`Val::parse`](super::Val::parse) and
//! [`Val::parse_projected`](super::Val::parse_projected): a byte-level reader that builds
//! exactly the value serde_json builds (same numbers bit for bit, the same borrowed and
//! owned strings, JSON.parse's duplicate-key rule) for the JSON it accepts, and gives up
//! (`None`) on everything else — any syntax error, `\u` escapes of surrogates, integers
//! longer than 19 digits, numbers out of range, nesting deeper than [`MAX_DEPTH`] — which
//! the caller then parses with serde_json. It is never more lenient than serde_json.

use std::borrow::Cow;

use super::parse::SeenKeys;
use super::projection::same_key;
use super::{Obj, Projection, Val};

/// Deeper nesting is left to serde_json (which refuses it past its own limit).
const MAX_DEPTH: usize = 100;

/// Parses `text`; with a projection, only what it keeps of an object is built and the
/// other values are checked and skipped.
pub(super) fn parse<'a>(text: &'a str, projection: Option<&Projection>) -> Option<Val<'a>> {
    let mut r = Reader {
        text,
        b: text.as_bytes(),
        pos: 0,
    };
    r.ws();
    let v = match (projection, r.peek()?) {
        (Some(p), b'{') => r.object(1, Select::Top(p))?,
        _ => r.value(0)?,
    };
    r.ws();
    (r.pos == r.b.len()).then_some(v)
}

/// The length of the leading run of `b` that needs no attention inside a string: up to
/// the first `"`, `\` or control character. Eight bytes are tested at a time.
fn plain_run(b: &[u8]) -> usize {
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let found = special_bytes(u64::from_le_bytes(word));
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + b[i..]
        .iter()
        .position(|&c| c < 0x20 || c == b'"' || c == b'\\')
        .unwrap_or(b.len() - i)
}

/// The high bit of each byte of `x` (little-endian) that is a control character, `"` or
/// `\`. Bytes above the first such byte may be flagged wrongly (borrows carry upward), so
/// only the lowest flag is meaningful — and it is exact.
fn special_bytes(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let control = x.wrapping_sub(ONES * 0x20) & !x;
    let quote = x ^ (ONES * u64::from(b'"'));
    let quote = quote.wrapping_sub(ONES) & !quote;
    let backslash = x ^ (ONES * u64::from(b'\\'));
    let backslash = backslash.wrapping_sub(ONES) & !backslash;
    (control | quote | backslash) & HIGH
}

fn hex4(h: &[u8]) -> Option<u32> {
    h.iter()
        .try_fold(0u32, |acc, &c| Some(acc * 16 + (c as char).to_digit(16)?))
}

/// What an object keeps of its keys.
#[derive(Clone, Copy)]
enum Select<'p> {
    All,
    Keys(&'p [Box<str>]),
    Top(&'p Projection),
}

struct Reader<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &[u8], v: Val<'a>) -> Option<Val<'a>> {
        if self.b.get(self.pos..self.pos + word.len())? != word {
            return None;
        }
        self.pos += word.len();
        Some(v)
    }

    fn value(&mut self, depth: usize) -> Option<Val<'a>> {
        self.ws();
        match self.peek()? {
            b'"' => {
                self.pos += 1;
                self.string().map(Val::Str)
            }
            b'{' => self.object(depth + 1, Select::All),
            b'[' => self.array(depth + 1),
            b't' => self.literal(b"true", Val::Bool(true)),
            b'f' => self.literal(b"false", Val::Bool(false)),
            b'n' => self.literal(b"null", Val::Null),
            b'-' | b'0'..=b'9' => self.number().map(Val::Num),
            _ => None,
        }
    }

    /// The rest of a string whose opening quote was read.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let start = self.pos;
        let end = start + plain_run(&self.b[start..]);
        match self.b.get(end)? {
            b'"' => {
                self.pos = end + 1;
                Some(Cow::Borrowed(&self.text[start..end]))
            }
            b'\\' => self.escaped(start, end).map(Cow::Owned),
            _ => None,
        }
    }

    /// A string with escapes, from its start; `i` is at the first backslash.
    fn escaped(&mut self, start: usize, mut i: usize) -> Option<String> {
        let mut out = String::with_capacity(i - start + 16);
        out.push_str(&self.text[start..i]);
        loop {
            match *self.b.get(i)? {
                b'"' => {
                    self.pos = i + 1;
                    return Some(out);
                }
                b'\\' => {
                    let (c, len) = self.escape(i + 1)?;
                    out.push(c);
                    i += 1 + len;
                }
                c if c < 0x20 => return None,
                _ => {
                    let run = plain_run(&self.b[i..]);
                    out.push_str(&self.text[i..i + run]);
                    i += run;
                }
            }
        }
    }

    /// The escape whose letter is at `i`: the character and the bytes read after `\`.
    fn escape(&self, i: usize) -> Option<(char, usize)> {
        Some(match *self.b.get(i)? {
            b'"' => ('"', 1),
            b'\\' => ('\\', 1),
            b'/' => ('/', 1),
            b'b' => ('\u{8}', 1),
            b'f' => ('\u{c}', 1),
            b'n' => ('\n', 1),
            b'r' => ('\r', 1),
            b't' => ('\t', 1),
            // Surrogates (pairs or not) are left to serde_json; char::from_u32 refuses them.
            b'u' => (char::from_u32(hex4(self.b.get(i + 1..i + 5)?)?)?, 5),
            _ => return None,
        })
    }

    /// A number as serde_json reads it: integers that fit through `u64`, the rest correctly
    /// rounded (serde_json's `float_roundtrip`).
    fn number(&mut self) -> Option<f64> {
        let b = self.b;
        let start = self.pos;
        let negative = b[start] == b'-';
        let digits = start + usize::from(negative);
        let mut i = digits;
        match *b.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => {
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => return None,
        }
        let int_end = i;
        let mut float = false;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let from = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == from {
                return None;
            }
            float = true;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let from = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == from {
                return None;
            }
            float = true;
        }
        self.pos = i;
        if !float {
            // serde_json negates the magnitude, so `-0` is `-0.0`.
            let n = match self.text[digits..int_end].parse::<u64>() {
                Ok(n) => n as f64,
                Err(_) => self.text[digits..int_end].parse::<f64>().ok()?,
            };
            return n.is_finite().then_some(if negative { -n } else { n });
        }
        let n: f64 = self.text[start..i].parse().ok()?;
        n.is_finite().then_some(n)
    }

    fn array(&mut self, depth: usize) -> Option<Val<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.pos += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(Val::Arr(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.ws();
            match self.next()? {
                b',' => {}
                b']' => return Some(Val::Arr(items)),
                _ => return None,
            }
        }
    }

    fn object(&mut self, depth: usize, select: Select<'_>) -> Option<Val<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.pos += 1;
        let mut obj = Obj::with_capacity(match select {
            Select::Keys(keys) => keys.len(),
            _ => 8,
        });
        let mut seen = SeenKeys::default();
        self.ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(Val::Obj(obj));
        }
        loop {
            self.ws();
            if self.next()? != b'"' {
                return None;
            }
            let key = self.string()?;
            self.ws();
            if self.next()? != b':' {
                return None;
            }
            let keep = match select {
                Select::All => Some(None),
                Select::Keys(keys) => keys.iter().any(|k| same_key(k, &key)).then_some(None),
                Select::Top(p) => p.lookup(&key),
            };
            match keep {
                None => self.skip(depth)?,
                Some(children) => {
                    self.ws();
                    let v = match children {
                        Some(keys) if self.peek()? == b'{' => self.object(depth + 1, Select::Keys(keys))?,
                        _ => self.value(depth)?,
                    };
                    seen.add(&mut obj, key, v);
                }
            }
            self.ws();
            match self.next()? {
                b',' => {}
                b'}' => return Some(Val::Obj(obj)),
                _ => return None,
            }
        }
    }

    /// Checks one value without building it.
    fn skip(&mut self, depth: usize) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => {
                self.pos += 1;
                self.skip_string()
            }
            open @ (b'{' | b'[') => {
                if depth + 1 > MAX_DEPTH {
                    return None;
                }
                let close = if open == b'{' { b'}' } else { b']' };
                self.pos += 1;
                self.ws();
                if self.peek()? == close {
                    self.pos += 1;
                    return Some(());
                }
                loop {
                    if open == b'{' {
                        self.ws();
                        if self.next()? != b'"' {
                            return None;
                        }
                        self.skip_string()?;
                        self.ws();
                        if self.next()? != b':' {
                            return None;
                        }
                    }
                    self.skip(depth + 1)?;
                    self.ws();
                    match self.next()? {
                        b',' => {}
                        c if c == close => return Some(()),
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true", Val::Null).map(drop),
            b'f' => self.literal(b"false", Val::Null).map(drop),
            b'n' => self.literal(b"null", Val::Null).map(drop),
            b'-' | b'0'..=b'9' => self.number().map(drop),
            _ => None,
        }
    }

    fn skip_string(&mut self) -> Option<()> {
        let mut i = self.pos;
        loop {
            i += plain_run(&self.b[i..]);
            match *self.b.get(i)? {
                b'"' => {
                    self.pos = i + 1;
                    return Some(());
                }
                b'\\' => i += 1 + self.escape(i + 1)?.1,
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests;
