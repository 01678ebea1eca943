//! ISO 3166-1 alpha-2 country codes, as Attio accepts them in locations and phone numbers.

use std::fmt;

/// The codes Attio's API description lists (252, sorted): the ISO 3166-1 alpha-2 codes plus
/// `AC` (Ascension Island), `AN` (the former Netherlands Antilles) and `XK` (Kosovo).
const COUNTRY_CODES: &str = concat!(
    "ACADAEAFAGAIALAMANAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZCACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCX",
    "CYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISIT",
    "JEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINL",
    "NONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTM",
    "TNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSXKYEYTZAZMZW",
);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not an ISO 3166-1 alpha-2 country code")]
pub struct CountryCodeError(pub String);

/// A two-letter country code, upper-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Accepts a listed code in either case.
    pub fn parse(s: &str) -> Result<Self, CountryCodeError> {
        let err = || CountryCodeError(s.to_owned());
        let b = s.as_bytes();
        if b.len() != 2 || !b.iter().all(u8::is_ascii_alphabetic) {
            return Err(err());
        }
        let code = [b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase()];
        let listed = COUNTRY_CODES.as_bytes().chunks_exact(2).any(|c| c == code);
        if listed {
            Ok(Self(code))
        } else {
            Err(err())
        }
    }

    pub fn as_str(&self) -> &str {
        // Built from two ASCII letters only.
        std::str::from_utf8(&self.0).expect("country codes are ASCII")
    }

    /// Every accepted code, in order.
    pub fn all() -> impl Iterator<Item = CountryCode> {
        COUNTRY_CODES.as_bytes().chunks_exact(2).map(|c| Self([c[0], c[1]]))
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_pairs_of_capitals() {
        let all: Vec<String> = CountryCode::all().map(|c| c.to_string()).collect();
        assert_eq!(all.len(), 252);
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        assert!(all.iter().all(|c| c.bytes().all(|b| b.is_ascii_uppercase())));
    }

    #[test]
    fn codes_are_upper_cased_and_checked_against_the_list() {
        assert_eq!(CountryCode::parse("gb").map(|c| c.to_string()), Ok("GB".into()));
        assert_eq!(CountryCode::parse("XK").map(|c| c.to_string()), Ok("XK".into()));
        for bad in ["", "G", "GBR", "ZZ", "UK", "1A", "É1"] {
            assert_eq!(CountryCode::parse(bad), Err(CountryCodeError(bad.to_owned())), "{bad}");
        }
        assert_eq!(
            CountryCodeError("ZZ".into()).to_string(),
            "\"ZZ\" is not an ISO 3166-1 alpha-2 country code"
        );
    }
}
