//! Tokens of the subscription language, lexed as strictly as the reference's lexer
//! (`@segment/fql-ts`) or more: every token accepted here is read by the reference the
//! same way, and everything it would misread is an error.

use super::error::Problem;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// An identifier: `raw` is its source text, `value` the text with `\` escapes removed.
    Word {
        raw: String,
        value: String,
    },
    /// `and` / `or` (lower case, followed by a separator).
    And,
    Or,
    /// A double-quoted string's content (no escapes inside strings).
    Str(String),
    /// A number literal's source text.
    Num(String),
    Dot,
    Comma,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `!` directly before a word or `(`.
    Bang,
}

impl Tok {
    /// How the token is named in messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Word { raw, .. } => format!("`{raw}`"),
            Tok::And => "`and`".into(),
            Tok::Or => "`or`".into(),
            Tok::Str(s) => format!("`\"{s}\"`"),
            Tok::Num(n) => format!("`{n}`"),
            Tok::Dot => "`.`".into(),
            Tok::Comma => "`,`".into(),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::LBracket => "`[`".into(),
            Tok::RBracket => "`]`".into(),
            Tok::Eq => "`=`".into(),
            Tok::Ne => "`!=`".into(),
            Tok::Lt => "`<`".into(),
            Tok::Le => "`<=`".into(),
            Tok::Gt => "`>`".into(),
            Tok::Ge => "`>=`".into(),
            Tok::Bang => "`!`".into(),
        }
    }
}

/// A token and the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spanned {
    pub tok: Tok,
    pub at: usize,
}

/// A lexing failure at a byte offset.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LexError {
    pub at: usize,
    pub problem: Problem,
}

/// White space as the reference sees it (no `\r`, no Unicode spaces).
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n')
}

/// What may follow a string, a number or a keyword: white space, `,`, `]`, `)` or the end.
fn is_terminator(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => is_space(c) || matches!(c, ',' | ']' | ')'),
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '\\'
}

pub(crate) fn lex(text: &str) -> Result<Vec<Spanned>, LexError> {
    Lexer { text, pos: 0 }.run()
}

struct Lexer<'t> {
    text: &'t str,
    pos: usize,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn peek2(&self) -> Option<char> {
        let mut it = self.text[self.pos..].chars();
        it.next();
        it.next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn err<T>(&self, at: usize, problem: Problem) -> Result<T, LexError> {
        Err(LexError { at, problem })
    }

    fn run(mut self) -> Result<Vec<Spanned>, LexError> {
        if let Some(i) = self.text.find('\r') {
            return self.err(i, Problem::CarriageReturn);
        }
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            let at = self.pos;
            if is_space(c) {
                self.bump();
                continue;
            }
            let tok = match c {
                '"' => self.string()?,
                '\'' => return self.err(at, Problem::SingleQuote),
                '.' => self.single(Tok::Dot),
                ',' => self.single(Tok::Comma),
                '(' => self.single(Tok::LParen),
                ')' => self.single(Tok::RParen),
                '[' => self.single(Tok::LBracket),
                ']' => self.single(Tok::RBracket),
                '=' => {
                    self.bump();
                    if self.peek() == Some('=') {
                        return self.err(at, Problem::DoubleEquals);
                    }
                    Tok::Eq
                }
                '!' => self.bang()?,
                '<' | '>' => self.comparison(c)?,
                '&' if self.peek2() == Some('&') => return self.err(at, Problem::DoubleAmpersand),
                '|' if self.peek2() == Some('|') => return self.err(at, Problem::DoublePipe),
                c if c.is_ascii_digit()
                    && matches!(out.last(), Some(Spanned { tok: Tok::Dot, at: d }) if d + 1 == at) =>
                {
                    let key: String = self.text[at..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                        .collect();
                    return self.err(at, Problem::DigitKey(key));
                }
                c if c.is_ascii_digit() || c == '-' || c == '+' => self.number()?,
                c if c.is_ascii_alphabetic() || c == '_' || c == '\\' => self.word()?,
                c => return self.err(at, Problem::InvalidCharacter(c)),
            };
            out.push(Spanned { tok, at });
        }
        Ok(out)
    }

    fn single(&mut self, tok: Tok) -> Tok {
        self.bump();
        tok
    }

    fn string(&mut self) -> Result<Tok, LexError> {
        let start = self.pos;
        self.bump();
        let Some(len) = self.text[self.pos..].find('"') else {
            return self.err(start, Problem::UnterminatedString);
        };
        let content = self.text[self.pos..self.pos + len].to_owned();
        self.pos += len + 1;
        match self.peek() {
            next if is_terminator(next) => Ok(Tok::Str(content)),
            Some(c) => self.err(self.pos, Problem::NoSpaceAfterString(c)),
            None => Ok(Tok::Str(content)),
        }
    }

    fn bang(&mut self) -> Result<Tok, LexError> {
        let at = self.pos;
        self.bump();
        match self.peek() {
            Some(c) if c.is_ascii_alphabetic() || c == '(' => Ok(Tok::Bang),
            Some('=') => {
                self.bump();
                if is_terminator(self.peek()) {
                    Ok(Tok::Ne)
                } else {
                    self.err(at, Problem::NoSpaceAfterOperator("!="))
                }
            }
            _ => self.err(at, Problem::BadBang),
        }
    }

    fn comparison(&mut self, c: char) -> Result<Tok, LexError> {
        let at = self.pos;
        self.bump();
        if self.peek() == Some('=') {
            self.bump();
            if !is_terminator(self.peek()) {
                return self.err(at, Problem::NoSpaceAfterOperator(if c == '<' { "<=" } else { ">=" }));
            }
            return Ok(if c == '<' { Tok::Le } else { Tok::Ge });
        }
        Ok(if c == '<' { Tok::Lt } else { Tok::Gt })
    }

    fn number(&mut self) -> Result<Tok, LexError> {
        let start = self.pos;
        self.bump();
        while matches!(self.peek(), Some(c) if c.is_ascii_digit() || c == '.') {
            self.bump();
        }
        let text = &self.text[start..self.pos];
        let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
        let well_formed = match digits.split_once('.') {
            None => !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()),
            Some((int, frac)) => {
                !int.is_empty()
                    && !frac.is_empty()
                    && int.bytes().all(|b| b.is_ascii_digit())
                    && frac.bytes().all(|b| b.is_ascii_digit())
            }
        };
        if !well_formed {
            return self.err(start, Problem::BadNumber(text.to_owned()));
        }
        match self.peek() {
            next if is_terminator(next) => Ok(Tok::Num(text.to_owned())),
            Some(found) => self.err(
                self.pos,
                Problem::NoSpaceAfterNumber {
                    number: text.to_owned(),
                    found,
                },
            ),
            None => Ok(Tok::Num(text.to_owned())),
        }
    }

    fn word(&mut self) -> Result<Tok, LexError> {
        let start = self.pos;
        let mut value = String::new();
        while let Some(c) = self.peek() {
            if !is_ident_char(c) {
                break;
            }
            self.bump();
            if c == '\\' {
                match self.bump() {
                    None => return self.err(start, Problem::DanglingEscape),
                    Some(e) if e.len_utf16() > 1 => return self.err(self.pos - e.len_utf8(), Problem::AstralEscape(e)),
                    Some(e) => value.push(e),
                }
            } else {
                value.push(c);
            }
        }
        let raw = self.text[start..self.pos].to_owned();
        let next = self.peek();
        if is_terminator(next) {
            match raw.as_str() {
                "and" => return Ok(Tok::And),
                "or" => return Ok(Tok::Or),
                _ => {}
            }
        } else if let Some(found) = next {
            if found == '[' {
                return self.err(self.pos, Problem::Brackets);
            }
            if !matches!(found, '.' | '(' | '=' | '!') {
                let hint = if found.is_alphanumeric() {
                    "; escape characters outside A-Z, a-z, 0-9, `_` and `-` in keys with `\\`, e.g. `caf\\é`"
                } else if matches!(found, '<' | '>') {
                    "; put spaces around operators, e.g. `properties.total > 50`"
                } else {
                    ""
                };
                return self.err(self.pos, Problem::NoSpaceAfterWord { word: raw, found, hint });
            }
        }
        Ok(Tok::Word { raw, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        lex(text).unwrap().into_iter().map(|s| s.tok).collect()
    }

    fn problem(text: &str) -> Problem {
        lex(text).unwrap_err().problem
    }

    fn word(raw: &str, value: &str) -> Tok {
        Tok::Word {
            raw: raw.into(),
            value: value.into(),
        }
    }

    #[test]
    fn equality_without_spaces_lexes_like_with_spaces() {
        assert_eq!(
            toks(r#"type="identify""#),
            vec![word("type", "type"), Tok::Eq, Tok::Str("identify".into())]
        );
    }

    #[test]
    fn escapes_in_words_are_removed_from_the_value() {
        assert_eq!(toks(r"my\ key"), vec![word(r"my\ key", "my key")]);
        assert_eq!(toks(r"caf\é"), vec![word(r"caf\é", "café")]);
        assert_eq!(toks(r"\0"), vec![word(r"\0", "0")]);
    }

    #[test]
    fn lower_case_conjunctions_followed_by_a_separator_are_keywords() {
        assert_eq!(toks("and or"), vec![Tok::And, Tok::Or]);
        assert_eq!(toks("AND"), vec![word("AND", "AND")]);
        assert_eq!(toks("android"), vec![word("android", "android")]);
        assert_eq!(toks("and.x"), vec![word("and", "and"), Tok::Dot, word("x", "x")]);
    }

    #[test]
    fn numbers_with_sign_and_decimals() {
        assert_eq!(
            toks("-1.5 +2 30"),
            vec![Tok::Num("-1.5".into()), Tok::Num("+2".into()), Tok::Num("30".into())]
        );
        assert_eq!(problem("5."), Problem::BadNumber("5.".into()));
        assert_eq!(problem("1.2.3"), Problem::BadNumber("1.2.3".into()));
        assert_eq!(problem("-"), Problem::BadNumber("-".into()));
        assert!(matches!(problem("5abc"), Problem::NoSpaceAfterNumber { .. }));
    }

    #[test]
    fn comparison_operators_need_a_space_after_two_characters() {
        assert_eq!(
            toks("< <= > >= != ="),
            vec![Tok::Lt, Tok::Le, Tok::Gt, Tok::Ge, Tok::Ne, Tok::Eq]
        );
        assert_eq!(toks(">50"), vec![Tok::Gt, Tok::Num("50".into())]);
        assert_eq!(problem("<=5"), Problem::NoSpaceAfterOperator("<="));
        assert_eq!(problem("!=null"), Problem::NoSpaceAfterOperator("!="));
    }

    #[test]
    fn bang_before_a_word_or_parenthesis_is_negation() {
        assert_eq!(toks("!contains"), vec![Tok::Bang, word("contains", "contains")]);
        assert_eq!(toks("!("), vec![Tok::Bang, Tok::LParen]);
        assert_eq!(problem("! contains"), Problem::BadBang);
    }

    #[test]
    fn strings_must_be_closed_and_followed_by_a_separator() {
        assert_eq!(problem(r#""abc"#), Problem::UnterminatedString);
        assert_eq!(problem(r#""a"b"#), Problem::NoSpaceAfterString('b'));
        assert_eq!(toks(r#"("a", "b")"#).len(), 5);
        assert_eq!(toks("\"multi\nline\""), vec![Tok::Str("multi\nline".into())]);
    }

    #[test]
    fn misleading_characters_get_specific_problems() {
        assert_eq!(problem("type = 'x'"), Problem::SingleQuote);
        assert_eq!(problem("a && b"), Problem::DoubleAmpersand);
        assert_eq!(problem("a || b"), Problem::DoublePipe);
        assert_eq!(problem("type == \"x\""), Problem::DoubleEquals);
        assert_eq!(problem("a\r\nb"), Problem::CarriageReturn);
        assert_eq!(problem("a $ b"), Problem::InvalidCharacter('$'));
        assert_eq!(
            problem("a\u{a0}b").clone(),
            Problem::NoSpaceAfterWord {
                word: "a".into(),
                found: '\u{a0}',
                hint: ""
            }
        );
    }

    #[test]
    fn words_must_end_at_a_separator() {
        assert!(matches!(
            problem("total>50"),
            Problem::NoSpaceAfterWord { found: '>', .. }
        ));
        assert!(matches!(problem("café"), Problem::NoSpaceAfterWord { found: 'é', .. }));
        assert_eq!(problem("key\\"), Problem::DanglingEscape);
        assert_eq!(problem("a\\😀"), Problem::AstralEscape('😀'));
    }
}
