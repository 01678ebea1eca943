//! Object and attribute identifiers as they appear in Attio URLs and bodies.

use std::borrow::Cow;
use std::fmt;

/// Why a slug was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("{what} is empty")]
    Empty { what: &'static str },
    #[error("{what} is {len} characters long; at most {max} are allowed")]
    TooLong { what: &'static str, len: usize, max: usize },
    #[error("{what} contains a control character")]
    ControlCharacter { what: &'static str },
}

const MAX_SLUG_LEN: usize = 256;

fn check(what: &'static str, s: &str) -> Result<(), SlugError> {
    if s.is_empty() {
        return Err(SlugError::Empty { what });
    }
    let len = s.chars().count();
    if len > MAX_SLUG_LEN {
        return Err(SlugError::TooLong {
            what,
            len,
            max: MAX_SLUG_LEN,
        });
    }
    if s.chars().any(char::is_control) {
        return Err(SlugError::ControlCharacter { what });
    }
    Ok(())
}

macro_rules! slug_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Cow<'static, str>);

        impl $name {
            /// A slug known at compile time. Panics (at first use) if it is invalid,
            /// which only a programming error can cause.
            pub const fn from_static(s: &'static str) -> Self {
                Self(Cow::Borrowed(s))
            }

            /// Checks a slug given at run time: non-empty, at most 256 characters,
            /// no control characters. Any other character is allowed: the URL is
            /// percent-encoded when the request is built.
            pub fn parse(s: impl Into<String>) -> Result<Self, SlugError> {
                let s = s.into();
                check($what, &s)?;
                Ok(Self(Cow::Owned(s)))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = SlugError;
            fn try_from(s: String) -> Result<Self, SlugError> {
                Self::parse(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = SlugError;
            fn try_from(s: &str) -> Result<Self, SlugError> {
                Self::parse(s)
            }
        }
    };
}

slug_type!(
    /// The `api_slug` (or UUID) of an Attio object, e.g. `people`.
    ObjectSlug,
    "object"
);
slug_type!(
    /// The `api_slug` (or UUID) of an Attio list, e.g. `onboarding`.
    ListSlug,
    "list"
);

slug_type!(
    /// The `api_slug` (or UUID) of an Attio attribute, e.g. `email_addresses`.
    AttributeSlug,
    "attribute"
);

impl ObjectSlug {
    pub const PEOPLE: ObjectSlug = ObjectSlug::from_static("people");
    pub const USERS: ObjectSlug = ObjectSlug::from_static("users");
    pub const COMPANIES: ObjectSlug = ObjectSlug::from_static("companies");
    pub const WORKSPACES: ObjectSlug = ObjectSlug::from_static("workspaces");
}

impl AttributeSlug {
    pub const EMAIL_ADDRESSES: AttributeSlug = AttributeSlug::from_static("email_addresses");
    pub const USER_ID: AttributeSlug = AttributeSlug::from_static("user_id");
    pub const DOMAINS: AttributeSlug = AttributeSlug::from_static("domains");
    pub const WORKSPACE_ID: AttributeSlug = AttributeSlug::from_static("workspace_id");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_slug_is_refused_with_its_name() {
        let err = ObjectSlug::parse("").unwrap_err();
        assert_eq!(err.to_string(), "object is empty");
    }

    #[test]
    fn slug_with_spaces_and_symbols_is_kept_verbatim() {
        let s = AttributeSlug::parse("a&b=c#d").unwrap();
        assert_eq!(s.as_str(), "a&b=c#d");
    }

    #[test]
    fn control_characters_are_refused() {
        assert!(matches!(
            ObjectSlug::parse("a\nb"),
            Err(SlugError::ControlCharacter { .. })
        ));
    }

    #[test]
    fn overlong_slug_is_refused() {
        assert!(matches!(
            ObjectSlug::parse("x".repeat(257)),
            Err(SlugError::TooLong { len: 257, .. })
        ));
    }
}
