//! UUIDs as Attio writes them: 36 characters, hyphenated 8-4-4-4-12, lower-case hex.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a hyphenated UUID (8-4-4-4-12 hexadecimal digits)")]
pub struct UuidError;

/// A UUID of any version. Parsing accepts upper-case hex; display is lower-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uuid(u128);

impl Uuid {
    pub fn parse(s: &str) -> Result<Self, UuidError> {
        let b = s.as_bytes();
        if b.len() != 36 {
            return Err(UuidError);
        }
        let mut value: u128 = 0;
        for (i, &c) in b.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                if c != b'-' {
                    return Err(UuidError);
                }
                continue;
            }
            let nibble = char::from(c).to_digit(16).ok_or(UuidError)?;
            value = (value << 4) | u128::from(nibble);
        }
        Ok(Self(value))
    }

    pub const fn from_u128(value: u128) -> Self {
        Self(value)
    }

    pub const fn as_u128(self) -> u128 {
        self.0
    }
}

impl FromStr for Uuid {
    type Err = UuidError;
    fn from_str(s: &str) -> Result<Self, UuidError> {
        Self::parse(s)
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = format!("{:032x}", self.0);
        write!(
            f,
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_lower_cases() {
        let u = Uuid::parse("891DCBFC-9141-415d-9b2a-2238a6cc012d").unwrap();
        assert_eq!(u.to_string(), "891dcbfc-9141-415d-9b2a-2238a6cc012d");
    }

    #[test]
    fn refuses_other_shapes() {
        for bad in [
            "",
            "891dcbfc9141415d9b2a2238a6cc012d",
            "891dcbfc-9141-415d-9b2a-2238a6cc012",
            "891dcbfc-9141-415d-9b2a_2238a6cc012d",
            "g91dcbfc-9141-415d-9b2a-2238a6cc012d",
            "+91dcbfc-9141-415d-9b2a-2238a6cc012d",
        ] {
            assert_eq!(Uuid::parse(bad), Err(UuidError), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn display_parses_back(n in any::<u128>()) {
            let u = Uuid::from_u128(n);
            prop_assert_eq!(Uuid::parse(&u.to_string()), Ok(u));
        }
    }
}
