//! Phone-number values, checked against E.164 and the plan facts in `phone_plan`.

use std::fmt;

use serde_json::{json, Value};

use super::country::{CountryCode, CountryCodeError};
use super::error::ValueProblem;
use super::json_form::{only_keys, optional_str, required_str, wrong_type};
use super::phone_plan::{calling_code_of, country, national_rule, sole_country, Leading};

/// Fewest and most digits in a whole number, calling code included.
const MIN_DIGITS: usize = 8;
const MAX_DIGITS: usize = 15;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("it is empty")]
    Empty,
    #[error("it contains {0:?}; only digits, a leading + and the separators space . - ( ) / are allowed")]
    InvalidCharacter(char),
    #[error("it needs a leading + and the country calling code, or a country_code")]
    NoCountry,
    #[error("too few digits")]
    TooFewDigits,
    #[error("too many digits (E.164 allows at most 15)")]
    TooManyDigits,
    #[error("no country calling code starts its digits")]
    UnknownCallingCode,
    #[error("a +{calling_code} number has {} digits after the calling code, not {found}", length_range(*min, *max))]
    WrongLength {
        calling_code: u16,
        min: usize,
        max: usize,
        found: usize,
    },
    #[error("a +{calling_code} number cannot start with {digit} after the calling code")]
    WrongLeadingDigit { calling_code: u16, digit: char },
    #[error("{0} is not a North American area code (those start with 2-9 and do not end in 11)")]
    NanpAreaCode(String),
    #[error("{0} is not a North American exchange code (those start with 2-9)")]
    NanpExchange(String),
    #[error(transparent)]
    Country(#[from] CountryCodeError),
    #[error("country_code {country} does not use the calling code +{calling_code}")]
    CountryMismatch { country: CountryCode, calling_code: u16 },
    #[error(
        "numbers without + are understood only for common countries, not {0}; write it with + and the calling code"
    )]
    NationalFormUnsupported(CountryCode),
}

fn length_range(min: usize, max: usize) -> String {
    if min == max {
        min.to_string()
    } else {
        format!("{min} to {max}")
    }
}

/// A phone number: what was written, the country it belongs to (when given or clear from the
/// calling code) and its E.164 form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber {
    original: String,
    country_code: Option<CountryCode>,
    calling_code: u16,
    e164: String,
}

impl PhoneNumber {
    /// `original` is either international (`+44 7911 123456`) or national with a
    /// `country_code` (`07911 123456`, `GB`). The country code is optional for international
    /// numbers but must then agree with the calling code (for the countries known to
    /// `phone_plan`).
    pub fn parse(original: &str, country_code: Option<CountryCode>) -> Result<Self, PhoneError> {
        let original = original.trim();
        if original.is_empty() {
            return Err(PhoneError::Empty);
        }
        let (international, rest) = match original.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, original),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '.' | '-' | '(' | ')' | '/' => {}
                other => return Err(PhoneError::InvalidCharacter(other)),
            }
        }
        let (calling_code, national) = if international {
            split_international(&digits, country_code)?
        } else {
            let cc = country_code.ok_or(PhoneError::NoCountry)?;
            let (calling_code, trunk) = country(cc.as_str()).ok_or(PhoneError::NationalFormUnsupported(cc))?;
            // The trunk prefix is dropped; NANP numbers may be written with or without the
            // leading 1, which is a trunk prefix only on 11 digits.
            let national = match digits.strip_prefix(trunk) {
                Some(rest) if !trunk.is_empty() && (calling_code != 1 || digits.len() == 11) => rest,
                _ => &digits,
            };
            (calling_code, national.to_owned())
        };
        let total = calling_code.to_string().len() + national.len();
        if total < MIN_DIGITS {
            return Err(PhoneError::TooFewDigits);
        }
        if total > MAX_DIGITS {
            return Err(PhoneError::TooManyDigits);
        }
        check_national(calling_code, &national)?;
        let country_code = country_code.or_else(|| sole_country(calling_code).and_then(|c| CountryCode::parse(c).ok()));
        Ok(Self {
            original: original.to_owned(),
            country_code,
            calling_code,
            e164: format!("+{calling_code}{national}"),
        })
    }

    /// As written (surrounding spaces removed).
    pub fn original(&self) -> &str {
        &self.original
    }

    pub fn country_code(&self) -> Option<CountryCode> {
        self.country_code
    }

    pub fn calling_code(&self) -> u16 {
        self.calling_code
    }

    /// `+` and digits only, e.g. `+447911123456`.
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// `{"original_phone_number": …, "country_code": … or null}`.
    pub fn to_write_json(&self) -> Value {
        json!({
            "original_phone_number": self.original,
            "country_code": self.country_code.map(|c| c.to_string()),
        })
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.e164)
    }
}

fn split_international(digits: &str, country_code: Option<CountryCode>) -> Result<(u16, String), PhoneError> {
    if digits.len() < MIN_DIGITS {
        return Err(PhoneError::TooFewDigits);
    }
    let calling_code = calling_code_of(digits).ok_or(PhoneError::UnknownCallingCode)?;
    if let Some(cc) = country_code {
        if let Some((expected, _)) = country(cc.as_str()) {
            if expected != calling_code {
                return Err(PhoneError::CountryMismatch {
                    country: cc,
                    calling_code,
                });
            }
        }
    }
    let national = &digits[calling_code.to_string().len()..];
    Ok((calling_code, national.to_owned()))
}

fn check_national(calling_code: u16, national: &str) -> Result<(), PhoneError> {
    let Some((min, max, leading)) = national_rule(calling_code) else {
        return Ok(());
    };
    if !(min..=max).contains(&national.len()) {
        return Err(PhoneError::WrongLength {
            calling_code,
            min,
            max,
            found: national.len(),
        });
    }
    let first = national.as_bytes()[0];
    let starts_badly = |digit: u8| PhoneError::WrongLeadingDigit {
        calling_code,
        digit: char::from(digit),
    };
    match leading {
        Leading::Any => Ok(()),
        Leading::NotZero if first == b'0' => Err(starts_badly(first)),
        Leading::NotZero => Ok(()),
        Leading::OneOf(allowed) if !allowed.contains(&first) => Err(starts_badly(first)),
        Leading::OneOf(_) => Ok(()),
        Leading::Nanp => {
            let (area, exchange) = (&national[..3], &national[3..6]);
            if matches!(area.as_bytes()[0], b'0' | b'1') || area.ends_with("11") {
                return Err(PhoneError::NanpAreaCode(area.to_owned()));
            }
            if matches!(exchange.as_bytes()[0], b'0' | b'1') {
                return Err(PhoneError::NanpExchange(exchange.to_owned()));
            }
            Ok(())
        }
    }
}

/// `"+447911123456"` or `{"original_phone_number": …, "country_code": … or null}`.
pub(super) fn phone_from_json(v: &Value) -> Result<PhoneNumber, ValueProblem> {
    match v {
        Value::String(s) => Ok(PhoneNumber::parse(s, None)?),
        Value::Object(map) => {
            only_keys(map, &["original_phone_number", "country_code"])?;
            let original = required_str(map, "original_phone_number")?;
            let country = optional_str(map, "country_code")?
                .map(CountryCode::parse)
                .transpose()
                .map_err(PhoneError::from)?;
            Ok(PhoneNumber::parse(original, country)?)
        }
        other => Err(wrong_type(
            other,
            "a phone number string or {\"original_phone_number\", \"country_code\"}",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(s: &str, cc: Option<&str>) -> String {
        let cc = cc.map(|c| CountryCode::parse(c).expect("test country code"));
        PhoneNumber::parse(s, cc)
            .map(|p| p.e164().to_owned())
            .unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn international_numbers_are_normalised() {
        assert_eq!(e164("+447777777777", None), "+447777777777");
        assert_eq!(e164(" +1 (202) 555-0123 ", None), "+12025550123");
        assert_eq!(e164("+33 6 12 34 56 78", None), "+33612345678");
        assert_eq!(e164("+353 86 123 4567", Some("IE")), "+353861234567");
        // Calling codes without a length rule only get the E.164 length check.
        assert_eq!(e164("+2348031234567", None), "+2348031234567");
    }

    #[test]
    fn national_numbers_need_a_known_country() {
        assert_eq!(e164("07234172834", Some("GB")), "+447234172834");
        assert_eq!(e164("(202) 555-0123", Some("US")), "+12025550123");
        assert_eq!(e164("1-202-555-0123", Some("CA")), "+12025550123");
        assert_eq!(e164("612345678", Some("ES")), "+34612345678");
        assert_eq!(
            e164("07234172834", None),
            "error: it needs a leading + and the country calling code, or a country_code"
        );
        assert_eq!(
            e164("0801234567", Some("NG")),
            "error: numbers without + are understood only for common countries, not NG; write it with + and the calling code"
        );
    }

    #[test]
    fn made_up_numbers_are_refused() {
        assert_eq!(e164("+1123", None), "error: too few digits");
        assert_eq!(
            e164("+11234567890", None),
            "error: 123 is not a North American area code (those start with 2-9 and do not end in 11)"
        );
        assert_eq!(
            e164("+12115550123", None),
            "error: 211 is not a North American area code (those start with 2-9 and do not end in 11)"
        );
        assert_eq!(
            e164("+12021550123", None),
            "error: 155 is not a North American exchange code (those start with 2-9)"
        );
        assert_eq!(
            e164("+1202555012", None),
            "error: a +1 number has 10 digits after the calling code, not 9"
        );
        assert_eq!(
            e164("+44 0777777777", None),
            "error: a +44 number cannot start with 0 after the calling code"
        );
        assert_eq!(
            e164("+34512345678", None),
            "error: a +34 number cannot start with 5 after the calling code"
        );
        assert_eq!(
            e164("+2812345678", None),
            "error: no country calling code starts its digits"
        );
        assert_eq!(
            e164("+1234567890123456", None),
            "error: too many digits (E.164 allows at most 15)"
        );
        assert_eq!(
            e164("+44 7777 CALLME", None),
            "error: it contains 'C'; only digits, a leading + and the separators space . - ( ) / are allowed"
        );
        assert_eq!(e164("  ", None), "error: it is empty");
    }

    #[test]
    fn the_country_code_must_agree_with_the_calling_code() {
        assert_eq!(
            e164("+33612345678", Some("GB")),
            "error: country_code GB does not use the calling code +33"
        );
        // Countries outside the table are not checked.
        assert_eq!(e164("+33612345678", Some("MC")), "+33612345678");
    }

    #[test]
    fn country_is_derived_only_when_the_calling_code_is_not_shared() {
        let gb = PhoneNumber::parse("+447777777777", None).unwrap();
        assert_eq!(gb.country_code().map(|c| c.to_string()), Some("GB".into()));
        assert_eq!(gb.calling_code(), 44);
        let nanp = PhoneNumber::parse("+12025550123", None).unwrap();
        assert_eq!(nanp.country_code(), None);
    }

    #[test]
    fn json_forms() {
        let p = phone_from_json(&json!({"original_phone_number": "07234172834", "country_code": "gb"})).unwrap();
        assert_eq!(p.e164(), "+447234172834");
        assert_eq!(
            p.to_write_json(),
            json!({"original_phone_number": "07234172834", "country_code": "GB"})
        );
        assert!(phone_from_json(&json!({"original_phone_number": "+447234172834", "country_code": null})).is_ok());
        assert_eq!(
            phone_from_json(&json!({"original_phone_number": "0723", "country_code": "QQ"}))
                .unwrap_err()
                .to_string(),
            "is not a valid E.164 phone number: \"QQ\" is not an ISO 3166-1 alpha-2 country code"
        );
        assert!(phone_from_json(&json!({"phone_number": "+447234172834"})).is_err());
        assert!(phone_from_json(&json!(447234172834u64)).is_err());
    }
}
