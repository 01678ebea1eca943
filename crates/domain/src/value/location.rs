//! Location values: an address and/or coordinates in Attio's ten keys.

use serde_json::{Map, Value};

use super::country::{CountryCode, CountryCodeError};
use super::error::ValueProblem;
use super::json_form::{only_keys, optional_str, required, wrong_type};
use super::location_text::parse_location_text;

/// The ten keys of the object form, in Attio's order; all are required when writing it.
pub const LOCATION_KEYS: [&str; 10] = [
    "line_1",
    "line_2",
    "line_3",
    "line_4",
    "locality",
    "region",
    "postcode",
    "country_code",
    "latitude",
    "longitude",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    #[error("it is empty")]
    Empty,
    #[error("latitude \"{0}\" is not a decimal number from -90 to 90 (written as a string)")]
    Latitude(String),
    #[error("longitude \"{0}\" is not a decimal number from -180 to 180 (written as a string)")]
    Longitude(String),
    #[error("country_code {0}")]
    Country(#[from] CountryCodeError),
}

/// The unchecked parts of a location, for [`Location::new`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocationParts {
    pub line_1: Option<String>,
    pub line_2: Option<String>,
    pub line_3: Option<String>,
    pub line_4: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub postcode: Option<String>,
    pub country_code: Option<String>,
    pub latitude: Option<String>,
    pub longitude: Option<String>,
}

/// A checked location. Blank parts are absent; `country_code` is an ISO 3166-1 alpha-2 code;
/// `latitude` and `longitude` are decimal strings matching Attio's patterns.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    lines: [Option<String>; 4],
    locality: Option<String>,
    region: Option<String>,
    postcode: Option<String>,
    country_code: Option<CountryCode>,
    latitude: Option<String>,
    longitude: Option<String>,
}

fn clean(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Attio's coordinate patterns: an optional sign, a whole part without leading zeros below
/// `max` (any fraction) or equal to it (a fraction of zeros only).
fn is_coordinate(s: &str, max: u32) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((int, frac)) if !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) => (int, Some(frac)),
        Some(_) => return false,
        None => (body, None),
    };
    if int.is_empty() || int.len() > 3 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    if int.len() > 1 && int.starts_with('0') {
        return false;
    }
    match int.parse::<u32>() {
        Ok(v) if v < max => true,
        Ok(v) if v == max => frac.is_none_or(|f| f.bytes().all(|b| b == b'0')),
        _ => false,
    }
}

impl Location {
    pub fn new(parts: LocationParts) -> Result<Self, LocationError> {
        let latitude = clean(parts.latitude);
        if let Some(lat) = &latitude {
            if !is_coordinate(lat, 90) {
                return Err(LocationError::Latitude(lat.clone()));
            }
        }
        let longitude = clean(parts.longitude);
        if let Some(lon) = &longitude {
            if !is_coordinate(lon, 180) {
                return Err(LocationError::Longitude(lon.clone()));
            }
        }
        let country_code = clean(parts.country_code).map(|c| CountryCode::parse(&c)).transpose()?;
        Ok(Self {
            lines: [
                clean(parts.line_1),
                clean(parts.line_2),
                clean(parts.line_3),
                clean(parts.line_4),
            ],
            locality: clean(parts.locality),
            region: clean(parts.region),
            postcode: clean(parts.postcode),
            country_code,
            latitude,
            longitude,
        })
    }

    /// Address line 1 to 4 (`n` in 1..=4); `None` for any other `n`.
    pub fn line(&self, n: usize) -> Option<&str> {
        self.lines.get(n.checked_sub(1)?)?.as_deref()
    }

    pub fn locality(&self) -> Option<&str> {
        self.locality.as_deref()
    }

    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    pub fn postcode(&self) -> Option<&str> {
        self.postcode.as_deref()
    }

    pub fn country_code(&self) -> Option<CountryCode> {
        self.country_code
    }

    pub fn latitude(&self) -> Option<&str> {
        self.latitude.as_deref()
    }

    pub fn longitude(&self) -> Option<&str> {
        self.longitude.as_deref()
    }

    /// All ten keys, `null` where absent (the write form and the type-specific output fields).
    pub fn to_write_json(&self) -> Value {
        let values = [
            self.line(1).map(str::to_owned),
            self.line(2).map(str::to_owned),
            self.line(3).map(str::to_owned),
            self.line(4).map(str::to_owned),
            self.locality.clone(),
            self.region.clone(),
            self.postcode.clone(),
            self.country_code.map(|c| c.to_string()),
            self.latitude.clone(),
            self.longitude.clone(),
        ];
        let map: Map<String, Value> = LOCATION_KEYS
            .iter()
            .zip(values)
            .map(|(k, v)| ((*k).to_owned(), v.map_or(Value::Null, Value::String)))
            .collect();
        Value::Object(map)
    }
}

/// One string, parsed best-effort (see `location_text`), or the object form with all ten keys.
pub(super) fn location_from_json(v: &Value) -> Result<Location, ValueProblem> {
    match v {
        Value::String(s) => Ok(Location::new(parse_location_text(s)?)?),
        Value::Object(map) => {
            only_keys(map, &LOCATION_KEYS)?;
            for key in LOCATION_KEYS {
                required(map, key)?;
            }
            let get = |key| optional_str(map, key).map(|s| s.map(str::to_owned));
            let parts = LocationParts {
                line_1: get("line_1")?,
                line_2: get("line_2")?,
                line_3: get("line_3")?,
                line_4: get("line_4")?,
                locality: get("locality")?,
                region: get("region")?,
                postcode: get("postcode")?,
                country_code: get("country_code")?,
                latitude: get("latitude")?,
                longitude: get("longitude")?,
            };
            Ok(Location::new(parts)?)
        }
        other => Err(wrong_type(
            other,
            "an address string or an object with the ten location keys",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn full(overrides: Value) -> Value {
        let mut base = json!({
            "line_1": "1 Infinite Loop", "line_2": null, "line_3": null, "line_4": null,
            "locality": "Cupertino", "region": "CA", "postcode": "95014", "country_code": "US",
            "latitude": "37.331741", "longitude": "-122.030333"
        });
        if let (Value::Object(b), Value::Object(o)) = (&mut base, overrides) {
            b.extend(o);
        }
        base
    }

    #[test]
    fn object_form_with_all_keys_round_trips() {
        let loc = location_from_json(&full(json!({}))).unwrap();
        assert_eq!(loc.line(1), Some("1 Infinite Loop"));
        assert_eq!(loc.line(2), None);
        assert_eq!(loc.line(5), None);
        assert_eq!(loc.country_code().map(|c| c.to_string()), Some("US".into()));
        assert_eq!(loc.to_write_json(), full(json!({})));
    }

    #[test]
    fn every_key_is_required_in_the_object_form() {
        let mut v = full(json!({}));
        if let Value::Object(m) = &mut v {
            m.shift_remove("line_4");
        }
        assert_eq!(
            location_from_json(&v).unwrap_err().to_string(),
            "lacks the required key \"line_4\""
        );
        assert!(location_from_json(&full(json!({"street": "x"}))).is_err());
    }

    #[test]
    fn coordinates_follow_attios_patterns() {
        for ok in ["0", "-0.5", "+89.999999999", "90", "90.000", "45"] {
            assert!(is_coordinate(ok, 90), "{ok}");
        }
        for bad in ["", "90.1", "91", "09", "1.", ".5", "1e3", "abc", "--1", "100"] {
            assert!(!is_coordinate(bad, 90), "{bad}");
        }
        for ok in ["180", "-179.5", "99.9", "100", "0.000001"] {
            assert!(is_coordinate(ok, 180), "{ok}");
        }
        for bad in ["180.5", "181", "200", "0180"] {
            assert!(!is_coordinate(bad, 180), "{bad}");
        }
    }

    #[test]
    fn bad_parts_are_named() {
        assert_eq!(
            location_from_json(&full(json!({"latitude": "91"})))
                .unwrap_err()
                .to_string(),
            "is not a valid location: latitude \"91\" is not a decimal number from -90 to 90 (written as a string)"
        );
        assert_eq!(
            location_from_json(&full(json!({"latitude": 37.3})))
                .unwrap_err()
                .to_string(),
            "has \"latitude\" set to a number, expected a string or null"
        );
        assert_eq!(
            location_from_json(&full(json!({"country_code": "USA"})))
                .unwrap_err()
                .to_string(),
            "is not a valid location: country_code \"USA\" is not an ISO 3166-1 alpha-2 country code"
        );
    }

    #[test]
    fn blank_parts_become_null() {
        let loc = location_from_json(&full(json!({"line_2": "  ", "country_code": "us"}))).unwrap();
        assert_eq!(loc.line(2), None);
        assert_eq!(loc.to_write_json()["country_code"], json!("US"));
    }

    #[test]
    fn a_string_is_parsed_into_parts() {
        let loc = location_from_json(&json!("1 Infinite Loop, Cupertino, CA, 95014, US")).unwrap();
        assert_eq!(loc.to_write_json(), full(json!({"latitude": null, "longitude": null})));
        assert!(location_from_json(&json!(12)).is_err());
    }
}
