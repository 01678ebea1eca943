//! Best-effort reading of a location written as one string, e.g.
//! `"1 Infinite Loop, Cupertino, CA, 95014, US"`.
//!
//! The string is split at commas, then read from the end:
//! - `"lat, long"` (two coordinates and nothing else) gives just the coordinates;
//! - a last part that is an upper-case country code (`US`) or a common country name
//!   (`United Kingdom`, `USA`, …) is the country; a code that is also a US state (`CA`) only
//!   when a postcode or another two-letter code comes before it;
//! - then a part that looks like a postcode (has a digit, at most 10 letters, digits, spaces or
//!   hyphens) is the postcode, and `"CA 95014"` splits into region and postcode;
//! - of what is left, the last is the region (when three or more parts remain and no region was
//!   found yet), the one before it the locality, and the rest are address lines 1 to 4 (extra
//!   lines are joined into line 4). Two parts are a street and a locality when the first starts
//!   with a digit, otherwise a locality and a region; one part is a street when it starts with
//!   a digit, otherwise a locality.
//!
//! Attio's own parser is not documented; this heuristic reads common Western address forms.

use super::country::CountryCode;
use super::location::{LocationError, LocationParts};

/// Common English (and a few native) country names, for the last part of an address.
const COUNTRY_NAMES: [(&str, &str); 20] = [
    ("usa", "US"),
    ("united states", "US"),
    ("united states of america", "US"),
    ("uk", "GB"),
    ("united kingdom", "GB"),
    ("great britain", "GB"),
    ("england", "GB"),
    ("scotland", "GB"),
    ("wales", "GB"),
    ("canada", "CA"),
    ("australia", "AU"),
    ("new zealand", "NZ"),
    ("ireland", "IE"),
    ("germany", "DE"),
    ("deutschland", "DE"),
    ("france", "FR"),
    ("spain", "ES"),
    ("italy", "IT"),
    ("netherlands", "NL"),
    ("india", "IN"),
];

/// US state and district abbreviations; many are also country codes (`CA`, `DE`, `IN`).
const US_STATES: &str = "AK AL AR AZ CA CO CT DC DE FL GA HI IA ID IL IN KS KY LA MA MD ME MI MN MO MS MT NC ND NE \
NH NJ NM NV NY OH OK OR PA RI SC SD TN TX UT VA VT WA WI WV WY";

fn is_upper_code(part: &str) -> bool {
    part.len() == 2 && part.bytes().all(|b| b.is_ascii_uppercase())
}

/// The country named by the last part, given the part before it. A two-letter code that is
/// also a US state counts as a country only after a postcode or another two-letter code
/// (`…, CA, 95014, US`, `Toronto, ON, CA`), so `Cupertino, CA` keeps `CA` as the region.
fn country_of(part: &str, before: &str) -> Option<String> {
    if is_upper_code(part) {
        let state = US_STATES.split(' ').any(|st| st == part);
        if state && !(looks_like_postcode(before) || is_upper_code(before)) {
            return None;
        }
        return CountryCode::parse(part).ok().map(|c| c.to_string());
    }
    let lower = part.to_lowercase();
    COUNTRY_NAMES
        .iter()
        .find(|(name, _)| *name == lower)
        .map(|(_, code)| (*code).to_owned())
}

fn looks_like_postcode(part: &str) -> bool {
    let alnum = part.chars().filter(char::is_ascii_alphanumeric).count();
    part.chars().any(|c| c.is_ascii_digit())
        && (3..=10).contains(&alnum)
        && part.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
}

fn looks_like_coordinates(parts: &[&str]) -> bool {
    let number = |s: &str| !s.is_empty() && s.parse::<f64>().is_ok_and(f64::is_finite) && !s.contains(['e', 'E']);
    parts.len() == 2 && number(parts[0]) && number(parts[1])
}

fn starts_with_digit(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_digit())
}

pub(super) fn parse_location_text(text: &str) -> Result<LocationParts, LocationError> {
    let mut parts: Vec<&str> = text.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        return Err(LocationError::Empty);
    }
    let mut out = LocationParts::default();
    if looks_like_coordinates(&parts) {
        out.latitude = Some(parts[0].to_owned());
        out.longitude = Some(parts[1].to_owned());
        return Ok(out);
    }
    if let [.., before, last] = parts.as_slice() {
        if let Some(code) = country_of(last, before) {
            out.country_code = Some(code);
            parts.pop();
        }
    }
    if let [_, .., last] = parts.as_slice() {
        let last = *last;
        let region_and_code = last
            .rsplit_once(' ')
            .filter(|(region, code)| looks_like_postcode(code) && !region.chars().any(|c| c.is_ascii_digit()));
        if let Some((region, code)) = region_and_code {
            out.region = Some(region.trim().to_owned());
            out.postcode = Some(code.to_owned());
            parts.pop();
        } else if looks_like_postcode(last) {
            out.postcode = Some(last.to_owned());
            parts.pop();
        }
    }
    let owned = |s: &str| Some(s.to_owned());
    let lines: &[&str] = match parts.as_slice() {
        [] => &[],
        [one] if starts_with_digit(one) => {
            out.line_1 = owned(one);
            &[]
        }
        [one] => {
            out.locality = owned(one);
            &[]
        }
        [first, second] if out.region.is_none() && !starts_with_digit(first) => {
            out.locality = owned(first);
            out.region = owned(second);
            &[]
        }
        [rest @ .., last] if out.region.is_some() || rest.len() == 1 => {
            out.locality = owned(last);
            rest
        }
        [rest @ .., locality, region] => {
            out.locality = owned(locality);
            out.region = owned(region);
            rest
        }
    };
    let mut lines = lines.iter().map(|l| (*l).to_owned());
    out.line_1 = out.line_1.or_else(|| lines.next());
    out.line_2 = lines.next();
    out.line_3 = lines.next();
    let rest: Vec<String> = lines.collect();
    out.line_4 = (!rest.is_empty()).then(|| rest.join(", "));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> LocationParts {
        parse_location_text(text).expect("parses")
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    #[test]
    fn us_address_with_country_code() {
        let p = parts("1 Infinite Loop, Cupertino, CA, 95014, US");
        assert_eq!(
            (p.line_1, p.locality, p.region, p.postcode, p.country_code),
            (s("1 Infinite Loop"), s("Cupertino"), s("CA"), s("95014"), s("US"))
        );
    }

    #[test]
    fn region_and_postcode_in_one_part() {
        let p = parts("350 Fifth Avenue, Floor 3, New York, NY 10118, USA");
        assert_eq!(
            (p.line_1, p.line_2, p.locality, p.region, p.postcode, p.country_code),
            (
                s("350 Fifth Avenue"),
                s("Floor 3"),
                s("New York"),
                s("NY"),
                s("10118"),
                s("US")
            )
        );
    }

    #[test]
    fn uk_address() {
        let p = parts("10 Downing Street, London, SW1A 2AA, United Kingdom");
        assert_eq!(
            (p.line_1, p.locality, p.region, p.postcode, p.country_code),
            (s("10 Downing Street"), s("London"), None, s("SW1A 2AA"), s("GB"))
        );
    }

    #[test]
    fn short_forms() {
        let p = parts("Cupertino, CA");
        assert_eq!((p.locality, p.region, p.line_1), (s("Cupertino"), s("CA"), None));
        let p = parts("London, GB");
        assert_eq!((p.locality, p.country_code), (s("London"), s("GB")));
        let p = parts("Toronto, ON, CA");
        assert_eq!((p.locality, p.region, p.country_code), (s("Toronto"), s("ON"), s("CA")));
        let p = parts("Paris");
        assert_eq!(p.locality, s("Paris"));
        let p = parts("221B Baker Street");
        assert_eq!(p.line_1, s("221B Baker Street"));
        let p = parts("12 Rue de Rivoli, Paris");
        assert_eq!((p.line_1, p.locality), (s("12 Rue de Rivoli"), s("Paris")));
    }

    #[test]
    fn many_lines_fold_into_line_four() {
        let p = parts("Unit 1, Block 2, Estate 3, Area 4, Zone 5, Springfield, IL");
        assert_eq!(p.line_1, s("Unit 1"));
        assert_eq!(p.line_4, s("Area 4, Zone 5"));
        assert_eq!((p.locality, p.region), (s("Springfield"), s("IL")));
    }

    #[test]
    fn coordinates_alone() {
        let p = parts("37.331741, -122.030333");
        assert_eq!(
            (p.latitude, p.longitude, p.locality),
            (s("37.331741"), s("-122.030333"), None)
        );
    }

    #[test]
    fn empty_text_is_refused() {
        assert_eq!(parse_location_text(" , ,"), Err(LocationError::Empty));
    }
}
