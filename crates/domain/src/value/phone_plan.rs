//! The numbering-plan facts phone numbers are checked against.
//!
//! Limits, documented: every assigned ITU-T E.164 country calling code is known (so `+` numbers
//! from anywhere get a calling-code check), but national number lengths and leading digits are
//! known only for the common countries in [`NATIONAL_RULES`], and numbers written nationally
//! (without `+`) only for the countries in [`COUNTRIES`]. A number elsewhere only has to have
//! 8 to 15 digits in all. This is far from libphonenumber: number types, ranges that are
//! unassigned within a country and per-area lengths are not checked.

/// Assigned country calling codes (ITU-T E.164 list, including shared international services
/// such as 800 and 882). Calling codes are prefix-free, so at most one matches a number.
const CALLING_CODES: [u16; 216] = [
    1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58, 60,
    61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98, 211, 212, 213, 216, 218, 220, 221, 222, 223,
    224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246,
    247, 248, 249, 250, 251, 252, 253, 254, 255, 256, 257, 258, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290,
    291, 297, 298, 299, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377, 378,
    379, 380, 381, 382, 383, 385, 386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 590,
    591, 592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675, 676, 677, 678, 679, 680, 681, 682, 683, 685,
    686, 687, 688, 689, 690, 691, 692, 800, 808, 850, 852, 853, 855, 856, 870, 878, 880, 881, 882, 883, 886, 888, 960,
    961, 962, 963, 964, 965, 966, 967, 968, 970, 971, 972, 973, 974, 975, 976, 977, 979, 992, 993, 994, 995, 996, 998,
];

/// The calling code a string of digits (without `+`) starts with, if any.
pub(super) fn calling_code_of(digits: &str) -> Option<u16> {
    (1..=3)
        .filter_map(|n| digits.get(..n)?.parse::<u16>().ok())
        .find(|c| CALLING_CODES.binary_search(c).is_ok())
}

/// How a national significant number (the digits after the calling code) must look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Leading {
    /// Any first digit.
    Any,
    /// Not 0 (the trunk prefix is never part of the international form).
    NotZero,
    /// The North American Numbering Plan: area code and exchange code both start with 2–9,
    /// and the area code is not an N11 service code.
    Nanp,
    /// One of the given first digits.
    OneOf(&'static [u8]),
}

/// National number lengths and leading digits, by calling code: (code, min, max, leading).
pub(super) const NATIONAL_RULES: [(u16, usize, usize, Leading); 31] = [
    (1, 10, 10, Leading::Nanp),
    (7, 10, 10, Leading::NotZero),
    (27, 9, 9, Leading::NotZero),
    (30, 10, 10, Leading::OneOf(b"2689")),
    (31, 9, 9, Leading::NotZero),
    (32, 8, 9, Leading::NotZero),
    (33, 9, 9, Leading::NotZero),
    (34, 9, 9, Leading::OneOf(b"6789")),
    (39, 6, 11, Leading::Any),
    (41, 9, 9, Leading::NotZero),
    (43, 4, 13, Leading::NotZero),
    (44, 9, 10, Leading::NotZero),
    (45, 8, 8, Leading::NotZero),
    (46, 7, 10, Leading::NotZero),
    (47, 8, 8, Leading::NotZero),
    (48, 9, 9, Leading::NotZero),
    (49, 6, 13, Leading::NotZero),
    (52, 10, 10, Leading::NotZero),
    (55, 10, 11, Leading::NotZero),
    (61, 9, 9, Leading::NotZero),
    (64, 8, 10, Leading::NotZero),
    (65, 8, 8, Leading::OneOf(b"3689")),
    (81, 9, 10, Leading::NotZero),
    (82, 8, 10, Leading::NotZero),
    (86, 9, 11, Leading::NotZero),
    (91, 10, 10, Leading::NotZero),
    (351, 9, 9, Leading::OneOf(b"2389")),
    (353, 7, 9, Leading::NotZero),
    (852, 8, 8, Leading::OneOf(b"2345679")),
    (971, 8, 9, Leading::NotZero),
    (972, 8, 9, Leading::NotZero),
];

pub(super) fn national_rule(calling_code: u16) -> Option<(usize, usize, Leading)> {
    NATIONAL_RULES
        .iter()
        .find(|(c, ..)| *c == calling_code)
        .map(|&(_, min, max, leading)| (min, max, leading))
}

/// Countries whose national (trunk-prefixed) numbers can be written with a `country_code`:
/// (ISO alpha-2, calling code, trunk prefix dropped from national numbers).
pub(super) const COUNTRIES: [(&str, u16, &str); 32] = [
    ("US", 1, "1"),
    ("CA", 1, "1"),
    ("GB", 44, "0"),
    ("IE", 353, "0"),
    ("FR", 33, "0"),
    ("DE", 49, "0"),
    ("ES", 34, ""),
    ("IT", 39, ""),
    ("NL", 31, "0"),
    ("BE", 32, "0"),
    ("CH", 41, "0"),
    ("AT", 43, "0"),
    ("SE", 46, "0"),
    ("NO", 47, ""),
    ("DK", 45, ""),
    ("FI", 358, "0"),
    ("PL", 48, ""),
    ("PT", 351, ""),
    ("GR", 30, ""),
    ("AU", 61, "0"),
    ("NZ", 64, "0"),
    ("JP", 81, "0"),
    ("KR", 82, "0"),
    ("CN", 86, "0"),
    ("IN", 91, "0"),
    ("SG", 65, ""),
    ("HK", 852, ""),
    ("BR", 55, "0"),
    ("MX", 52, ""),
    ("ZA", 27, "0"),
    ("RU", 7, "8"),
    ("IL", 972, "0"),
];

/// The calling code and trunk prefix of a country in [`COUNTRIES`].
pub(super) fn country(alpha2: &str) -> Option<(u16, &'static str)> {
    COUNTRIES
        .iter()
        .find(|(c, ..)| *c == alpha2)
        .map(|&(_, code, trunk)| (code, trunk))
}

/// The country a calling code stands for when [`COUNTRIES`] has exactly one with it
/// (`+44` → GB); `None` for `+1`, shared by the United States and Canada, and for codes not
/// in the table.
pub(super) fn sole_country(calling_code: u16) -> Option<&'static str> {
    let mut matches = COUNTRIES.iter().filter(|(_, code, _)| *code == calling_code);
    match (matches.next(), matches.next()) {
        (Some((alpha2, ..)), None) => Some(alpha2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calling_codes_are_sorted_and_prefix_free() {
        assert!(CALLING_CODES.windows(2).all(|w| w[0] < w[1]));
        for &a in &CALLING_CODES {
            for &b in &CALLING_CODES {
                let (a, b) = (a.to_string(), b.to_string());
                assert!(a == b || !b.starts_with(&a), "{a} is a prefix of {b}");
            }
        }
    }

    #[test]
    fn the_longest_listed_code_is_found() {
        assert_eq!(calling_code_of("447911123456"), Some(44));
        assert_eq!(calling_code_of("12025550123"), Some(1));
        assert_eq!(calling_code_of("353861234567"), Some(353));
        assert_eq!(calling_code_of("2"), None);
        assert_eq!(calling_code_of("8"), None);
        assert_eq!(calling_code_of(""), None);
    }

    #[test]
    fn every_table_country_has_a_known_calling_code_and_rule() {
        for (alpha2, code, _) in COUNTRIES {
            assert!(CALLING_CODES.binary_search(&code).is_ok(), "{alpha2}");
            assert!(super::super::country::CountryCode::parse(alpha2).is_ok(), "{alpha2}");
        }
        for (code, min, max, _) in NATIONAL_RULES {
            assert!(CALLING_CODES.binary_search(&code).is_ok(), "{code}");
            assert!(min <= max);
        }
    }

    #[test]
    fn shared_calling_codes_name_no_country() {
        assert_eq!(sole_country(44), Some("GB"));
        assert_eq!(sole_country(1), None);
        assert_eq!(sole_country(20), None);
    }
}
