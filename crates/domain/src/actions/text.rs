use std::borrow::Cow;
use std::fmt;

/// A required text field: present and not `""` (deviation D2: an empty string counts as
/// missing in single and batch mode alike).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NonEmptyText<'a>(Cow<'a, str>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is empty")]
pub struct TextError;

impl<'a> NonEmptyText<'a> {
    pub fn parse(s: impl Into<Cow<'a, str>>) -> Result<Self, TextError> {
        let s = s.into();
        if s.is_empty() {
            return Err(TextError);
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_cow(self) -> Cow<'a, str> {
        self.0
    }
}

impl fmt::Debug for NonEmptyText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl fmt::Display for NonEmptyText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
