use std::borrow::Cow;
use std::fmt;

/// An email address that passes the strict check the reference applies to the
/// `email_address` field (ajv-formats' full `email` format): ASCII only, case-insensitive,
/// an atext local part with dot-separated atoms, and a domain of at least two
/// dot-separated labels, each alphanumeric with inner hyphens.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress<'a>(Cow<'a, str>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("is empty")]
    Empty,
    #[error("has no '@'")]
    NoAt,
    #[error("has an invalid local part before the '@'")]
    LocalPart,
    #[error("has an invalid domain after the '@' (it needs at least two labels of letters, digits and inner hyphens)")]
    Domain,
}

fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-".contains(&b)
}

fn check(s: &str) -> Result<(), EmailError> {
    if s.is_empty() {
        return Err(EmailError::Empty);
    }
    // The domain cannot contain '@', so the last '@' splits; the local part can't either.
    let at = s.rfind('@').ok_or(EmailError::NoAt)?;
    let (local, domain) = (&s[..at], &s[at + 1..]);
    if local.is_empty()
        || local
            .split('.')
            .any(|atom| atom.is_empty() || !atom.bytes().all(is_atext))
    {
        return Err(EmailError::LocalPart);
    }
    if !domain.contains('.') {
        return Err(EmailError::Domain);
    }
    for label in domain.split('.') {
        let b = label.as_bytes();
        let ok = !b.is_empty()
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-');
        if !ok {
            return Err(EmailError::Domain);
        }
    }
    Ok(())
}

impl<'a> EmailAddress<'a> {
    pub fn parse(s: impl Into<Cow<'a, str>>) -> Result<Self, EmailError> {
        let s = s.into();
        check(&s)?;
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_owned(self) -> EmailAddress<'static> {
        EmailAddress(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Debug for EmailAddress<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({:?})", self.0)
    }
}

impl fmt::Display for EmailAddress<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_ordinary_addresses_in_any_case() {
        for ok in [
            "gob@bluth.example",
            "A@B.CO",
            "u100168+tag@initech.co",
            "x.y-z@sub.do-main.io",
            "o'neil@x.org",
        ] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_what_the_reference_refuses() {
        for bad in [
            "",
            "a",
            "a@localhost",
            "a@b",
            "jöse@example.com",
            "a@exämple.com",
            ".a@b.co",
            "a..b@c.co",
            "a@-b.co",
            "a@b-.co",
            "a@b..co",
            "a b@c.co",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(s in ".*") {
            let _ = EmailAddress::parse(s);
        }

        #[test]
        fn generated_valid_addresses_pass(local in "[a-z0-9]{1,10}(\\.[a-z0-9]{1,5})?", d1 in "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", tld in "[a-z]{2,6}") {
            let s = format!("{local}@{d1}.{tld}");
            prop_assert!(EmailAddress::parse(s.clone()).is_ok(), "{}", s);
        }
    }
}
