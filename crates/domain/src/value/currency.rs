//! Currency values: an amount with at most four decimal places, in the attribute's currency.

use std::fmt;

use serde_json::{json, Value};

use super::error::ValueProblem;
use super::json_form::{only_keys, required, wrong_type};

/// The ISO 4217 codes Attio accepts for a currency attribute (2026 API description).
pub const CURRENCY_CODES: [&str; 40] = [
    "ARS", "AUD", "BRL", "BGN", "CAD", "CLP", "CNY", "COP", "CZK", "DKK", "EUR", "HKD", "HUF", "ISK", "INR", "ILS",
    "JPY", "KES", "KRW", "MYR", "MXN", "NTD", "NZD", "NGN", "NOK", "XPF", "PEN", "PHP", "PLN", "GBP", "RWF", "SAR",
    "SGD", "ZAR", "SEK", "CHF", "THB", "AED", "UYU", "USD",
];

/// The most decimal places a currency amount may have.
pub const MAX_CURRENCY_DECIMALS: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurrencyError {
    #[error("\"{0}\" is not a number")]
    NotANumber(String),
    #[error("it is not finite")]
    NotFinite,
    #[error("it has {places} decimal places; at most 4 are allowed")]
    TooManyDecimals { places: usize },
    #[error("\"currency_code\" cannot be written; it is the attribute's default currency")]
    CodeNotWritable,
    #[error("\"{0}\" is not a currency code Attio accepts")]
    UnknownCode(String),
}

/// An ISO 4217 code from [`CURRENCY_CODES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CurrencyCode(&'static str);

impl CurrencyCode {
    /// Accepts a code from [`CURRENCY_CODES`], in any case.
    pub fn parse(s: &str) -> Result<Self, CurrencyError> {
        CURRENCY_CODES
            .iter()
            .find(|c| c.eq_ignore_ascii_case(s))
            .map(|c| Self(c))
            .ok_or_else(|| CurrencyError::UnknownCode(s.to_owned()))
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// An amount of money: finite, at most four decimal places, and the currency the attribute is
/// configured with (`None` when the attribute has no default currency).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Currency {
    value: f64,
    code: Option<CurrencyCode>,
}

impl Currency {
    pub fn new(value: f64, code: Option<CurrencyCode>) -> Result<Self, CurrencyError> {
        if !value.is_finite() {
            return Err(CurrencyError::NotFinite);
        }
        let places = decimal_places(value);
        if places > MAX_CURRENCY_DECIMALS {
            return Err(CurrencyError::TooManyDecimals { places });
        }
        Ok(Self { value, code })
    }

    pub fn value(&self) -> f64 {
        self.value
    }

    pub fn code(&self) -> Option<CurrencyCode> {
        self.code
    }

    /// `{"currency_value": …}`: the code is never written.
    pub fn to_write_json(&self) -> Value {
        json!({ "currency_value": self.value })
    }
}

/// Decimal places of the shortest decimal text that reads back as `value`.
fn decimal_places(value: f64) -> usize {
    // Rust prints floats as their shortest round-tripping digits, never in exponent form.
    let text = value.to_string();
    text.split_once('.').map_or(0, |(_, frac)| frac.len())
}

/// Parses a decimal number written as text: optional sign, digits, optional fraction and
/// exponent. Words such as `inf` or `NaN`, thousands separators and currency symbols are refused.
fn parse_amount_text(s: &str) -> Result<f64, CurrencyError> {
    let t = s.trim();
    let not_a_number = || CurrencyError::NotANumber(s.to_owned());
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_ok = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits_ok(int) || !digits_ok(frac) {
        return Err(not_a_number());
    }
    if let Some(exp) = exponent {
        let exp_digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if exp_digits.is_empty() || !digits_ok(exp_digits) {
            return Err(not_a_number());
        }
    }
    t.parse::<f64>().map_err(|_| not_a_number())
}

/// A bare amount (number or numeric string) or `{"currency_value": …}`; the code comes from the
/// attribute (`default_code`), and writing `currency_code` is refused.
pub(super) fn currency_from_json(v: &Value, default_code: Option<&str>) -> Result<Currency, ValueProblem> {
    const EXPECTED: &str = "a number, a numeric string or {\"currency_value\": number}";
    let amount = match v {
        Value::Object(map) => {
            if map.contains_key("currency_code") {
                return Err(CurrencyError::CodeNotWritable.into());
            }
            only_keys(map, &["currency_value"])?;
            required(map, "currency_value")?
        }
        other => other,
    };
    let value = match amount {
        Value::Number(n) => n.as_f64().ok_or(CurrencyError::NotFinite)?,
        Value::String(s) => parse_amount_text(s)?,
        other => return Err(wrong_type(other, EXPECTED)),
    };
    let code = default_code.map(CurrencyCode::parse).transpose()?;
    Ok(Currency::new(value, code)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Option<CurrencyCode> {
        CurrencyCode::parse("USD").ok()
    }

    #[test]
    fn bare_numbers_and_strings_take_the_attribute_currency() {
        let c = currency_from_json(&json!(4.99), Some("USD")).unwrap();
        assert_eq!((c.value(), c.code()), (4.99, usd()));
        let c = currency_from_json(&json!(" -1200.5 "), Some("eur")).unwrap();
        assert_eq!((c.value(), c.code().map(CurrencyCode::as_str)), (-1200.5, Some("EUR")));
        assert_eq!(currency_from_json(&json!("1e3"), None).unwrap().value(), 1000.0);
    }

    #[test]
    fn object_form_takes_currency_value_only() {
        let c = currency_from_json(&json!({"currency_value": 99}), None).unwrap();
        assert_eq!((c.value(), c.code()), (99.0, None));
        assert_eq!(
            currency_from_json(&json!({"currency_value": 1, "currency_code": "USD"}), Some("USD"))
                .unwrap_err()
                .to_string(),
            "is not a valid currency value: \"currency_code\" cannot be written; it is the attribute's default currency"
        );
    }

    #[test]
    fn more_than_four_decimals_is_refused() {
        assert_eq!(currency_from_json(&json!(1.2345), None).unwrap().value(), 1.2345);
        assert_eq!(
            currency_from_json(&json!(1.23456), None).unwrap_err().to_string(),
            "is not a valid currency value: it has 5 decimal places; at most 4 are allowed"
        );
        assert!(currency_from_json(&json!("0.00001"), None).is_err());
        // Trailing zeros do not count: the amount is what matters.
        assert_eq!(currency_from_json(&json!("2.500000"), None).unwrap().value(), 2.5);
    }

    #[test]
    fn words_and_symbols_are_not_amounts() {
        for bad in ["", "inf", "NaN", "$5", "1,000", "1e", "--1", ".", "5 USD"] {
            assert_eq!(
                currency_from_json(&json!(bad), None).unwrap_err(),
                ValueProblem::Currency(CurrencyError::NotANumber(bad.to_owned())),
                "{bad}"
            );
        }
        assert!(currency_from_json(&json!(true), None).is_err());
    }

    #[test]
    fn an_unknown_default_code_is_reported() {
        assert_eq!(
            currency_from_json(&json!(1), Some("XYZ")).unwrap_err().to_string(),
            "is not a valid currency value: \"XYZ\" is not a currency code Attio accepts"
        );
    }

    #[test]
    fn write_form_omits_the_code() {
        let c = Currency::new(12.5, usd()).unwrap();
        assert_eq!(c.to_write_json(), json!({"currency_value": 12.5}));
    }
}
