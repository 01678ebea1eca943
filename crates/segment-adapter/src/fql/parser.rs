//! Tokens to the reference's AST. Accepts exactly the constructs that the reference
//! reads as written; everything it would misread is refused with a [`Problem`].

use super::ast::{Combinator, Condition, Field, Group, Node, Test};
use super::error::{FqlError, Location, Problem};
use super::js::{string_to_number, OBJECT_MEMBERS};
use super::lexer::{lex, Spanned, Tok};
use crate::json::js_number_to_string;

/// Longer texts are refused (the reference's lexer gives up on tokens of 100 000 units).
pub const MAX_LEN: usize = 65_536;

pub(crate) fn parse(text: &str) -> Result<Group, FqlError> {
    if text.len() > MAX_LEN {
        return Err(FqlError::TooLong {
            len: text.len(),
            max: MAX_LEN,
        });
    }
    let toks = lex(text).map_err(|e| FqlError::Invalid {
        at: Location::at(text, e.at),
        problem: e.problem,
    })?;
    if toks.is_empty() {
        return Err(FqlError::Empty);
    }
    let mut p = Parser {
        toks,
        i: 0,
        end: text.len(),
    };
    p.sequence(None).map_err(|(at, problem)| FqlError::Invalid {
        at: Location::at(text, at),
        problem,
    })
}

type PResult<T> = Result<T, (usize, Problem)>;

struct Parser {
    toks: Vec<Spanned>,
    i: usize,
    end: usize,
}

/// A value as the reference's `getTokenValue` sees it.
enum Value {
    Str(String),
    Num(f64),
    Word(String),
}

impl Value {
    /// `String(getTokenValue(token))`.
    fn js_string(&self) -> String {
        match self {
            Value::Str(s) | Value::Word(s) => s.clone(),
            Value::Num(n) => js_number_to_string(*n),
        }
    }
}

/// A field path: each segment's source text, unescaped value and offset.
struct Path {
    segments: Vec<(String, String, usize)>,
}

impl Path {
    fn raw(&self) -> String {
        self.segments
            .iter()
            .map(|(raw, _, _)| raw.as_str())
            .collect::<Vec<_>>()
            .join(".")
    }
}

fn conj_name(c: Combinator) -> &'static str {
    match c {
        Combinator::And => "and",
        Combinator::Or => "or",
    }
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|s| &s.tok)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.i + n).map(|s| &s.tok)
    }

    /// Offset of the next token (or the end of the text).
    fn at(&self) -> usize {
        self.toks.get(self.i).map_or(self.end, |s| s.at)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.i).map(|s| s.tok.clone());
        self.i += 1;
        t
    }

    fn found(&self) -> String {
        self.peek().map_or_else(|| "the end".to_owned(), Tok::describe)
    }

    /// Conditions joined by one kind of conjunction. `open` is the offset of the `(` that
    /// opened this group, if any; the closing `)` is left for the caller.
    fn sequence(&mut self, open: Option<usize>) -> PResult<Group> {
        match self.peek() {
            Some(Tok::And) => return Err((self.at(), Problem::LeadingConjunction("and"))),
            Some(Tok::Or) => return Err((self.at(), Problem::LeadingConjunction("or"))),
            Some(Tok::RParen) if open.is_some() => return Err((self.at(), Problem::EmptyParentheses)),
            _ => {}
        }
        let mut children = Vec::new();
        let mut combinator: Option<Combinator> = None;
        loop {
            let term_at = self.at();
            let is_call = self.at_function_call();
            children.push(self.term(open.is_some())?);
            let at = self.at();
            // The reference ends a parenthesised group at the first `)`, which is the
            // call's own unless the call is the group's last condition.
            if open.is_some() && is_call && self.peek() != Some(&Tok::RParen) {
                return Err((term_at, Problem::CallNotLastInGroup));
            }
            let conj = match self.peek() {
                None => match open {
                    Some(open_at) => return Err((open_at, Problem::UnclosedParenthesis)),
                    None => break,
                },
                Some(Tok::RParen) if open.is_some() => break,
                Some(Tok::RParen) => return Err((at, Problem::UnmatchedParenthesis)),
                Some(Tok::And) => Combinator::And,
                Some(Tok::Or) => Combinator::Or,
                Some(Tok::Word { raw, value }) => {
                    let lower = value.to_ascii_lowercase();
                    if raw == "and" || raw == "or" {
                        return Err((
                            at + raw.len(),
                            Problem::NoSpaceAfterWord {
                                word: raw.clone(),
                                found: '(',
                                hint: "",
                            },
                        ));
                    }
                    if lower == "and" || lower == "or" {
                        let fix = if lower == "and" { "and" } else { "or" };
                        return Err((at, Problem::UppercaseConjunction(raw.clone(), fix)));
                    }
                    return Err((at, Problem::MissingConjunction(raw.clone())));
                }
                Some(other) => {
                    return Err((
                        at,
                        Problem::MissingConjunction(other.describe().trim_matches('`').into()),
                    ))
                }
            };
            self.next();
            if let Some(previous) = combinator {
                if previous != conj {
                    return Err((at, Problem::MixedConjunctions { last: conj_name(conj) }));
                }
            }
            combinator = Some(conj);
            match self.peek() {
                None | Some(Tok::RParen) => return Err((at, Problem::DanglingConjunction(conj_name(conj)))),
                _ => {}
            }
        }
        Ok(Group {
            combinator: combinator.unwrap_or(Combinator::And),
            children,
        })
    }

    /// Whether the next tokens start `contains(`, `match(`, `!contains(` or `!match(`.
    fn at_function_call(&self) -> bool {
        let skip = usize::from(self.peek() == Some(&Tok::Bang));
        matches!(
            (self.peek_at(skip), self.peek_at(skip + 1)),
            (Some(Tok::Word { value, .. }), Some(Tok::LParen)) if value == "contains" || value == "match"
        )
    }

    fn term(&mut self, nested: bool) -> PResult<Node> {
        let at = self.at();
        match self.peek() {
            Some(Tok::LParen) => {
                if nested {
                    return Err((at, Problem::NestedParentheses));
                }
                self.next();
                let mut group = self.sequence(Some(at))?;
                self.next(); // the `)` that `sequence` stopped at
                if group.children.len() == 1 {
                    return Ok(group.children.remove(0));
                }
                Ok(Node::Group(group))
            }
            Some(Tok::Bang) => {
                self.next();
                match (self.peek(), self.peek_at(1)) {
                    (Some(Tok::Word { value, .. }), Some(Tok::LParen)) if value == "contains" || value == "match" => {
                        self.function(true)
                    }
                    _ => Err((at, Problem::UnsupportedNegation)),
                }
            }
            Some(Tok::Word { value, .. }) => {
                if (value == "contains" || value == "match") && self.peek_at(1) == Some(&Tok::LParen) {
                    self.function(false)
                } else {
                    self.comparison()
                }
            }
            _ => Err((at, Problem::ExpectedCondition(self.found()))),
        }
    }

    fn path(&mut self) -> PResult<Path> {
        let mut segments = Vec::new();
        let at = self.at();
        match self.next() {
            Some(Tok::Word { raw, value }) => segments.push((raw, value, at)),
            _ => return Err((at, Problem::ExpectedCondition(self.found_at(at)))),
        }
        while self.peek() == Some(&Tok::Dot) {
            self.next();
            let at = self.at();
            match self.next() {
                Some(Tok::Word { raw, value }) => segments.push((raw, value, at)),
                Some(Tok::Num(n)) => return Err((at, Problem::DigitKey(n))),
                Some(Tok::And) => return Err((at, Problem::KeywordAsKey("and"))),
                Some(Tok::Or) => return Err((at, Problem::KeywordAsKey("or"))),
                _ => return Err((at, Problem::ExpectedKey(self.found_at(at)))),
            }
        }
        if self.peek() == Some(&Tok::LBracket) {
            return Err((self.at(), Problem::Brackets));
        }
        Ok(Path { segments })
    }

    fn found_at(&self, at: usize) -> String {
        self.toks
            .iter()
            .find(|s| s.at == at)
            .map_or_else(|| "the end".to_owned(), |s| s.tok.describe())
    }

    fn comparison(&mut self) -> PResult<Node> {
        let path = self.path()?;
        let field = resolve(&path, None)?;
        let op_at = self.at();
        let op = match self.next() {
            Some(t @ (Tok::Eq | Tok::Ne | Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge)) => t,
            _ => return Err((op_at, Problem::ExpectedOperator(path.raw(), self.found_at(op_at)))),
        };
        let op_name = match op {
            Tok::Eq => "=",
            Tok::Ne => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            _ => ">=",
        };
        let value_at = self.at();
        let value = match self.next() {
            Some(Tok::Str(s)) => Value::Str(s),
            Some(Tok::Num(n)) => Value::Num(n.parse().map_err(|_| (value_at, Problem::BadNumber(n.clone())))?),
            Some(Tok::Word { value, .. }) => {
                if self.peek() == Some(&Tok::Dot) {
                    return Err((value_at, Problem::DottedValue(self.dotted_from(value_at))));
                }
                Value::Word(value)
            }
            Some(Tok::Eq) if op == Tok::Eq => return Err((op_at, Problem::DoubleEquals)),
            _ => return Err((value_at, Problem::ExpectedValue(op_name, self.found_at(value_at)))),
        };
        let test = build_test(&field, &op, op_name, &value).map_err(|p| (value_at, p))?;
        Ok(Node::Condition(Condition { field, test }))
    }

    /// The source of a dotted run of words starting at `at`, for the quoting hint.
    fn dotted_from(&self, at: usize) -> String {
        let start = self.toks.iter().position(|s| s.at == at).unwrap_or(self.i);
        let mut out = String::new();
        for s in &self.toks[start..] {
            match &s.tok {
                Tok::Word { value, .. } => out.push_str(value),
                Tok::Dot => out.push('.'),
                _ => break,
            }
        }
        out
    }

    fn function(&mut self, negate: bool) -> PResult<Node> {
        let name: &'static str = match self.next() {
            Some(Tok::Word { value, .. }) if value == "contains" => "contains",
            _ => "match",
        };
        self.next(); // `(`, checked by the caller
        let bad = |p: &Parser| (p.at(), Problem::BadFunctionCall(name, p.found()));
        if !matches!(self.peek(), Some(Tok::Word { .. })) {
            return Err(bad(self));
        }
        let path = self.path()?;
        let field = resolve(&path, Some(name))?;
        if self.peek() != Some(&Tok::Comma) {
            return Err(bad(self));
        }
        self.next();
        let pattern_at = self.at();
        let Some(Tok::Str(pattern)) = self.peek().cloned() else {
            return Err(bad(self));
        };
        self.next();
        if self.peek() != Some(&Tok::RParen) {
            return Err(bad(self));
        }
        self.next();
        let test = if name == "contains" {
            if negate {
                Test::NotContains(pattern)
            } else {
                Test::Contains(pattern)
            }
        } else if let Some(prefix) = pattern.strip_suffix('*') {
            let prefix = prefix.to_owned();
            if negate {
                Test::NotStartsWith(prefix)
            } else {
                Test::StartsWith(prefix)
            }
        } else {
            // The reference assumes a leading `*` and drops the first UTF-16 unit.
            let suffix = match pattern.chars().next() {
                None => String::new(),
                Some(c) if c.len_utf16() > 1 => return Err((pattern_at, Problem::AstralPattern(c))),
                Some(c) => pattern[c.len_utf8()..].to_owned(),
            };
            if negate {
                Test::NotEndsWith(suffix)
            } else {
                Test::EndsWith(suffix)
            }
        };
        Ok(Node::Condition(Condition { field, test }))
    }
}

/// The field a path reads, as the reference resolves it: the root is the text before the
/// first `.` of the unescaped path; the rest is split on `.`, `[` and `]`.
fn resolve(path: &Path, function: Option<&'static str>) -> PResult<Field> {
    let first_at = path.segments[0].2;
    let joined = path
        .segments
        .iter()
        .map(|(_, v, _)| v.as_str())
        .collect::<Vec<_>>()
        .join(".");
    let (root, rest) = match joined.split_once('.') {
        Some((root, rest)) => (root, Some(rest)),
        None => (joined.as_str(), None),
    };
    let simple = |field: Field, name: &'static str| match rest {
        None => Ok(field),
        Some(_) => Err((first_at, Problem::RootWithSubField(name))),
    };
    let keyed = |name: &'static str| -> PResult<Vec<String>> {
        let keys: Vec<String> = rest
            .unwrap_or("")
            .split(['.', '[', ']'])
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect();
        if keys.is_empty() {
            return Err((first_at, Problem::RootWithoutKey(name)));
        }
        for (raw, _, at) in &path.segments[1..] {
            match raw.as_str() {
                "and" => return Err((*at, Problem::KeywordAsKey("and"))),
                "or" => return Err((*at, Problem::KeywordAsKey("or"))),
                "null" => return Err((*at, Problem::KeywordAsKey("null"))),
                _ => {}
            }
        }
        if let Some(k) = keys.iter().find(|k| OBJECT_MEMBERS.contains(&k.as_str())) {
            return Err((first_at, Problem::BuiltinKey(k.clone())));
        }
        Ok(keys)
    };
    match root {
        "type" => match function {
            Some(f) => Err((first_at, Problem::TypeInFunction(f))),
            None => simple(Field::Type, "type"),
        },
        "event" => simple(Field::Event, "event"),
        "name" => simple(Field::Name, "name"),
        "userId" => simple(Field::UserId, "userId"),
        "properties" => keyed("properties").map(Field::Property),
        "traits" => keyed("traits").map(Field::Trait),
        "context" => keyed("context").map(Field::Context),
        other => Err((first_at, Problem::UnsupportedRoot(other.to_owned()))),
    }
}

/// The reference's node for `field op value`.
fn build_test(field: &Field, op: &Tok, op_name: &'static str, value: &Value) -> Result<Test, Problem> {
    let word = |w: &str| matches!(value, Value::Word(v) if v == w);
    let keyed = matches!(field, Field::Property(_) | Field::Trait(_) | Field::Context(_));
    let special = match (op, field) {
        (Tok::Ne, Field::Name | Field::UserId) if word("null") => Some(Test::Exists),
        (Tok::Eq, Field::Name | Field::UserId) if word("null") => Some(Test::NotExists),
        (Tok::Eq, Field::UserId) if word("true") => Some(Test::IsTrue),
        (Tok::Eq, Field::UserId) if word("false") => Some(Test::IsFalse),
        (Tok::Ne, _) if keyed && word("null") => Some(Test::Exists),
        (Tok::Eq, _) if keyed && word("null") => Some(Test::NotExists),
        (Tok::Eq, _) if keyed && word("true") => Some(Test::IsTrue),
        (Tok::Eq, _) if keyed && word("false") => Some(Test::IsFalse),
        (Tok::Eq, _) if keyed => match value {
            Value::Num(n) => Some(Test::NumberEquals(*n)),
            _ => None,
        },
        (Tok::Ne, _) if keyed => match value {
            Value::Num(n) => Some(Test::NumberNotEquals(*n)),
            _ => None,
        },
        _ => None,
    };
    if let Some(test) = special {
        return Ok(test);
    }
    // `String(v)` and `Number(v)` agree for every field kind on the values accepted here:
    // keyed fields keep the raw value, the others stringify it first, and both convert
    // it the same way at evaluation.
    let text = value.js_string();
    let number = || -> Result<f64, Problem> {
        let n = match value {
            Value::Num(n) => *n,
            Value::Str(s) => string_to_number(s),
            Value::Word(_) => f64::NAN,
        };
        if n.is_nan() {
            let shown = match value {
                Value::Str(s) => format!("\"{s}\""),
                _ => text.clone(),
            };
            return Err(Problem::NotANumber {
                op: op_name,
                value: format!("`{shown}`"),
            });
        }
        Ok(n)
    };
    Ok(match op {
        Tok::Eq => Test::Equals(text),
        Tok::Ne => Test::NotEquals(text),
        Tok::Lt => Test::Less(number()?),
        Tok::Le => Test::LessOrEqual(number()?),
        Tok::Gt => Test::Greater(number()?),
        _ => Test::GreaterOrEqual(number()?),
    })
}
