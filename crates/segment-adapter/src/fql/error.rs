//! Why a subscription was refused, where, and how to write it instead.

use std::fmt;

/// A place in the subscription text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Byte offset into the text.
    pub offset: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The text from this place on (at most a few words), for display.
    pub snippet: String,
}

impl Location {
    pub(crate) fn at(text: &str, offset: usize) -> Location {
        let offset = offset.min(text.len());
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = text[line_start..offset].chars().count() + 1;
        let snippet: String = text[offset..].chars().take(24).collect();
        Location {
            offset,
            line,
            column,
            snippet,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)?;
        if self.snippet.is_empty() {
            f.write_str(" (end of text)")
        } else {
            write!(f, ", at `{}`", self.snippet.escape_debug())
        }
    }
}

/// A subscription that is refused when the configuration is loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FqlError {
    #[error("the subscription is empty: write at least one condition, e.g. `type = \"identify\"`")]
    Empty,
    #[error("the subscription is {len} bytes long; at most {max} bytes are accepted")]
    TooLong { len: usize, max: usize },
    #[error("{problem} ({at})")]
    Invalid { at: Location, problem: Problem },
}

impl FqlError {
    /// The specific problem, when there is a position in the text.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            FqlError::Invalid { problem, .. } => Some(problem),
            _ => None,
        }
    }
}

/// What is wrong with a subscription. Each message says how to write it instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    #[error(
        "carriage return (`\\r`) in the subscription: the reference does not treat it as white space and \
         silently drops the rest of the expression; use plain `\\n` line breaks or spaces"
    )]
    CarriageReturn,
    #[error("`&&` is not an FQL operator; use `and`")]
    DoubleAmpersand,
    #[error("`||` is not an FQL operator; use `or`")]
    DoublePipe,
    #[error("single-quoted values keep their quotes in the reference and never match; use double quotes, e.g. `\"identify\"`")]
    SingleQuote,
    #[error(
        "invalid character `{0}`; quote values with double quotes and escape special characters in keys with `\\`"
    )]
    InvalidCharacter(char),
    #[error("unterminated string: add the closing `\"`")]
    UnterminatedString,
    #[error("a closing `\"` must be followed by a space, `,`, `)` or the end; found `{0}`")]
    NoSpaceAfterString(char),
    #[error("`{word}` must be followed by a space, `.`, `(`, `,`, `)` or an operator; found `{found}`{hint}")]
    NoSpaceAfterWord {
        word: String,
        found: char,
        hint: &'static str,
    },
    #[error("`{0}` is not a number; write digits with an optional sign and decimals, e.g. `-12.5`")]
    BadNumber(String),
    #[error("`{number}` must be followed by a space, `,`, `)` or the end; found `{found}`")]
    NoSpaceAfterNumber { number: String, found: char },
    #[error("`{0}` must be followed by a space (the reference misreads it otherwise), e.g. `properties.total {0} 50`")]
    NoSpaceAfterOperator(&'static str),
    #[error("`!` must be followed by `=` and a space (`!=`), or by `contains(` / `match(`")]
    BadBang,
    #[error("a `\\` at the end of a key must be followed by the character it escapes")]
    DanglingEscape,
    #[error(
        "`\\` cannot escape `{0}` (a character outside the Basic Multilingual Plane): the reference splits it in two"
    )]
    AstralEscape(char),
    #[error("`==` is not an FQL operator; use `=`")]
    DoubleEquals,
    #[error("`{0}` is not an FQL conjunction: the reference ignores upper-case keywords; write `{1}`")]
    UppercaseConjunction(String, &'static str),
    #[error(
        "mixing `and` and `or` without parentheses is ambiguous: the reference ignores precedence and joins \
         every condition at one level with the last conjunction (`{last}`); group with parentheses, \
         e.g. `a and (b or c)` or `(a and b) or c`"
    )]
    MixedConjunctions { last: &'static str },
    #[error("nested parentheses are not supported by the reference; use at most one level, e.g. `a and (b or c)`")]
    NestedParentheses,
    #[error(
        "inside parentheses, `contains(...)` and `match(...)` must be the last condition: the reference ends \
         the group at the call's `)`; reorder, e.g. `(type = \"track\" or contains(event, \"Order\"))`"
    )]
    CallNotLastInGroup,
    #[error("`(` is never closed: add `)`")]
    UnclosedParenthesis,
    #[error("`)` has no matching `(`")]
    UnmatchedParenthesis,
    #[error("empty parentheses: put a condition inside or remove them")]
    EmptyParentheses,
    #[error(
        "negation `!` is only supported before `contains(` and `match(`; the reference ignores it elsewhere. \
         For a field use `!=`, e.g. `type != \"track\"`"
    )]
    UnsupportedNegation,
    #[error("nothing follows `{0}`: add a condition after it or remove it")]
    DanglingConjunction(&'static str),
    #[error("the subscription cannot start with `{0}`: remove it")]
    LeadingConjunction(&'static str),
    #[error("two conditions need `and` or `or` between them; found `{0}`")]
    MissingConjunction(String),
    #[error("expected a condition such as `type = \"track\"`, found {0}")]
    ExpectedCondition(String),
    #[error(
        "`{0}` is not a field the reference can read: it silently ignores such conditions. Use `type`, `event`, \
         `name`, `userId`, `properties.<key>`, `traits.<key>` or `context.<key>` (e.g. `context.groupId`)"
    )]
    UnsupportedRoot(String),
    #[error("`{0}` has no sub-fields in the reference (it would read `{0}` itself); write `{0} = \"...\"`")]
    RootWithSubField(&'static str),
    #[error("`{0}` needs a key, e.g. `{0}.plan`; on its own the reference reads `{0}.{0}`")]
    RootWithoutKey(&'static str),
    #[error("`{0}(...)` does not accept `type` in the reference; compare it instead, e.g. `type = \"track\"`")]
    TypeInFunction(&'static str),
    #[error("`{0}` is read as the keyword `{0}` here, not as a key; escape it, e.g. `\\{0}`")]
    KeywordAsKey(&'static str),
    #[error("key segment `{0}` starts with a digit, which the reference cannot address; escape the first digit, e.g. `items.\\0.sku`")]
    DigitKey(String),
    #[error("`{0}` names a built-in JavaScript member: where the key is absent the reference reads the runtime instead of the event")]
    BuiltinKey(String),
    #[error("expected a key after `.`, found {0}")]
    ExpectedKey(String),
    #[error("`[` is not supported: the reference cannot index arrays with brackets; use `.` and escape a leading digit, e.g. `items.\\0.sku`")]
    Brackets,
    #[error("expected an operator (`=`, `!=`, `<`, `<=`, `>`, `>=`) after `{0}`, found {1}")]
    ExpectedOperator(String, String),
    #[error("expected a value after `{0}` (a double-quoted string, a number, `true`, `false` or `null`), found {1}")]
    ExpectedValue(&'static str, String),
    #[error("unquoted values may only be a single word; quote it, e.g. `\"{0}\"`")]
    DottedValue(String),
    #[error("`{op}` compares numbers, and {value} is not one: the condition could never match; write a number, e.g. `properties.total {op} 50`")]
    NotANumber { op: &'static str, value: String },
    #[error("`{0}(` takes a field, `,` and a double-quoted string, e.g. `{0}(event, \"Order\")`; found {1}")]
    BadFunctionCall(&'static str, String),
    #[error(
        "the `match` pattern may not start with `{0}`: the reference drops its first UTF-16 unit and would split it"
    )]
    AstralPattern(char),
}
