//! email-address, domain, phone-number, personal-name, location.

use domain::value::EmailAddress;
use serde_json::{Map, Value};

use super::unwrap_field;
use crate::simulator::api_error::ApiError;
use crate::simulator::schema::AttributeDef;

fn bad(attr: &AttributeDef, reason: &str) -> ApiError {
    ApiError::invalid_value_because(&attr.slug, reason)
}

const SECOND_LEVEL: [&str; 12] = [
    "co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "co.nz", "co.jp", "com.br", "co.za", "com.mx", "co.in",
];

/// The registrable part of a host name (`app.attio.com` → `attio.com`), with a small
/// table of common second-level suffixes.
pub fn root_domain(host: &str) -> String {
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    if n >= 3 && SECOND_LEVEL.contains(&labels[n - 2..].join(".").as_str()) {
        return labels[n - 3..].join(".");
    }
    if n >= 2 {
        labels[n - 2..].join(".")
    } else {
        host.to_owned()
    }
}

fn valid_host(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// Reduces a URL or host to a domain: scheme, credentials, port, path, query and
/// fragment are removed, and the result is lowercase.
fn normalise_domain(input: &str) -> String {
    let s = input.trim();
    let s = s.split_once("://").map_or(s, |(_, rest)| rest);
    let s = s.split(['/', '?', '#']).next().unwrap_or_default();
    let s = s.rsplit_once('@').map_or(s, |(_, host)| host);
    let s = s.split(':').next().unwrap_or_default();
    s.trim_end_matches('.').to_lowercase()
}

pub fn domain(attr: &AttributeDef, v: &Value) -> Result<Map<String, Value>, ApiError> {
    let s = unwrap_field(v, "domain")
        .as_str()
        .ok_or_else(|| bad(attr, "expected a domain string."))?;
    let d = normalise_domain(s);
    if !valid_host(&d) {
        return Err(bad(attr, "expected a domain such as example.com."));
    }
    let mut m = Map::new();
    m.insert("root_domain".into(), Value::String(root_domain(&d)));
    m.insert("domain".into(), Value::String(d));
    Ok(m)
}

pub fn email(attr: &AttributeDef, v: &Value) -> Result<Map<String, Value>, ApiError> {
    let s = unwrap_field(v, "email_address")
        .as_str()
        .ok_or_else(|| bad(attr, "expected an email address string."))?;
    let trimmed = s.trim();
    EmailAddress::parse(trimmed).map_err(|e| bad(attr, &format!("the email address {e}.")))?;
    let lower = trimmed.to_lowercase();
    let (local, host) = lower.rsplit_once('@').unwrap_or((lower.as_str(), ""));
    let specifier = local.split('+').next().unwrap_or(local);
    let mut m = Map::new();
    m.insert("original_email_address".into(), Value::String(s.to_owned()));
    m.insert("email_address".into(), Value::String(lower.clone()));
    m.insert("email_domain".into(), Value::String(host.to_owned()));
    m.insert("email_root_domain".into(), Value::String(root_domain(host)));
    m.insert("email_local_specifier".into(), Value::String(specifier.to_owned()));
    Ok(m)
}

/// (ISO country, calling code), longest codes first where they overlap.
const CALLING_CODES: [(&str, &str); 28] = [
    ("HK", "852"),
    ("IE", "353"),
    ("PT", "351"),
    ("FI", "358"),
    ("US", "1"),
    ("GB", "44"),
    ("FR", "33"),
    ("DE", "49"),
    ("ES", "34"),
    ("IT", "39"),
    ("NL", "31"),
    ("BE", "32"),
    ("CH", "41"),
    ("AT", "43"),
    ("SE", "46"),
    ("NO", "47"),
    ("DK", "45"),
    ("PL", "48"),
    ("AU", "61"),
    ("NZ", "64"),
    ("JP", "81"),
    ("CN", "86"),
    ("IN", "91"),
    ("BR", "55"),
    ("MX", "52"),
    ("ZA", "27"),
    ("SG", "65"),
    ("CA", "1"),
];

/// Normalises to E.164. Checks the shape (country code known, 8 to 15 digits); the
/// national numbering plans are not checked.
pub fn phone(attr: &AttributeDef, v: &Value) -> Result<Map<String, Value>, ApiError> {
    let (original, country) = match v {
        Value::String(s) => (s.as_str(), None),
        Value::Object(m) => (
            m.get("original_phone_number")
                .and_then(Value::as_str)
                .ok_or_else(|| bad(attr, "original_phone_number must be a string."))?,
            match m.get("country_code") {
                None | Some(Value::Null) => None,
                Some(Value::String(c)) => Some(c.to_ascii_uppercase()),
                Some(_) => return Err(bad(attr, "country_code must be a string or null.")),
            },
        ),
        _ => return Err(bad(attr, "expected a phone number string.")),
    };
    let compact: String = original
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let e164 = if let Some(digits) = compact.strip_prefix('+') {
        format!("+{digits}")
    } else {
        let cc = country
            .as_deref()
            .ok_or_else(|| bad(attr, "a number without a leading + needs a country_code."))?;
        let code = CALLING_CODES
            .iter()
            .find(|(iso, _)| *iso == cc)
            .map(|(_, code)| *code)
            .ok_or_else(|| bad(attr, "unknown country_code."))?;
        format!("+{code}{}", compact.trim_start_matches('0'))
    };
    let digits = &e164[1..];
    if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
        return Err(bad(attr, "expected an E.164 phone number such as +447777777777."));
    }
    let detected = CALLING_CODES
        .iter()
        .find(|(_, code)| digits.starts_with(code))
        .map(|(iso, _)| *iso)
        .ok_or_else(|| bad(attr, "unknown country calling code."))?;
    let mut m = Map::new();
    m.insert("original_phone_number".into(), Value::String(original.to_owned()));
    m.insert(
        "country_code".into(),
        Value::String(country.unwrap_or_else(|| detected.to_owned())),
    );
    m.insert("phone_number".into(), Value::String(e164));
    Ok(m)
}

pub fn personal_name(attr: &AttributeDef, v: &Value) -> Result<Map<String, Value>, ApiError> {
    let (first, last, full) = match v {
        Value::String(s) => {
            let (last, first) = match s.split_once(',') {
                Some((last, first)) => (last.trim().to_owned(), first.trim().to_owned()),
                None => (String::new(), s.trim().to_owned()),
            };
            let full = [first.as_str(), last.as_str()]
                .iter()
                .filter(|p| !p.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            (first, last, full)
        }
        Value::Object(m) => {
            let field = |k: &str| match m.get(k) {
                Some(Value::String(s)) => Ok(s.clone()),
                Some(Value::Null) => Ok(String::new()),
                _ => Err(bad(attr, "the object form needs first_name, last_name and full_name.")),
            };
            (field("first_name")?, field("last_name")?, field("full_name")?)
        }
        _ => {
            return Err(bad(
                attr,
                "expected \"Last, First\" or {first_name, last_name, full_name}.",
            ))
        }
    };
    let mut m = Map::new();
    m.insert("first_name".into(), Value::String(first));
    m.insert("last_name".into(), Value::String(last));
    m.insert("full_name".into(), Value::String(full));
    Ok(m)
}

const LOCATION_KEYS: [&str; 10] = [
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

fn coordinate_ok(s: &str, max: f64) -> bool {
    let digits_ok = s.split_once('.').map_or(true, |(_, f)| f.len() <= 9);
    s.parse::<f64>().is_ok_and(|x| x.abs() <= max) && digits_ok
}

/// A string is kept whole as `line_1` (no address parsing); the object form needs all
/// ten keys.
pub fn location(attr: &AttributeDef, v: &Value) -> Result<Map<String, Value>, ApiError> {
    let mut m = Map::new();
    match v {
        Value::String(s) => {
            for k in LOCATION_KEYS {
                m.insert(k.into(), Value::Null);
            }
            m.insert("line_1".into(), Value::String(s.clone()));
        }
        Value::Object(o) => {
            for k in LOCATION_KEYS {
                match o.get(k) {
                    Some(x @ (Value::String(_) | Value::Null)) => {
                        m.insert(k.into(), x.clone());
                    }
                    Some(_) => return Err(bad(attr, &format!("{k} must be a string or null."))),
                    None => return Err(bad(attr, &format!("the location object needs the key {k}."))),
                }
            }
            if let Some(cc) = m["country_code"].as_str() {
                if cc.len() != 2 || !cc.bytes().all(|b| b.is_ascii_alphabetic()) {
                    return Err(bad(attr, "country_code must be an ISO 3166-1 alpha-2 code."));
                }
            }
            if m["latitude"].as_str().is_some_and(|s| !coordinate_ok(s, 90.0)) {
                return Err(bad(attr, "latitude must be a string between -90 and 90."));
            }
            if m["longitude"].as_str().is_some_and(|s| !coordinate_ok(s, 180.0)) {
                return Err(bad(attr, "longitude must be a string between -180 and 180."));
            }
        }
        _ => return Err(bad(attr, "expected an address string or a location object.")),
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::schema::Schema;
    use serde_json::json;

    fn attr() -> AttributeDef {
        let s = Schema::build(None, &[]).expect("schema");
        s.object("people")
            .and_then(|o| o.attribute("description"))
            .cloned()
            .expect("attr")
    }

    #[test]
    fn domains_drop_scheme_path_and_case() {
        let m = domain(&attr(), &json!("https://App.Attio.com/path?q=1")).expect("ok");
        assert_eq!(m["domain"], json!("app.attio.com"));
        assert_eq!(m["root_domain"], json!("attio.com"));
        assert_eq!(root_domain("shop.example.co.uk"), "example.co.uk");
        assert!(domain(&attr(), &json!("localhost")).is_err());
    }

    #[test]
    fn emails_are_split_into_attios_fields() {
        let m = email(&attr(), &json!({"email_address": "Alice+x@App.Attio.com"})).expect("ok");
        assert_eq!(m["original_email_address"], json!("Alice+x@App.Attio.com"));
        assert_eq!(m["email_address"], json!("alice+x@app.attio.com"));
        assert_eq!(m["email_domain"], json!("app.attio.com"));
        assert_eq!(m["email_root_domain"], json!("attio.com"));
        assert_eq!(m["email_local_specifier"], json!("alice"));
        assert!(email(&attr(), &json!("not-an-email")).is_err());
    }

    #[test]
    fn phones_become_e164_with_country() {
        let m = phone(
            &attr(),
            &json!({"original_phone_number": "07234 172834", "country_code": "GB"}),
        )
        .expect("ok");
        assert_eq!(m["phone_number"], json!("+447234172834"));
        let m = phone(&attr(), &json!("+33 6 12 34 56 78")).expect("ok");
        assert_eq!(m["country_code"], json!("FR"));
        assert!(phone(&attr(), &json!("0723417")).is_err());
    }

    #[test]
    fn names_read_last_comma_first() {
        let m = personal_name(&attr(), &json!("Bloggs, Joe")).expect("ok");
        assert_eq!(
            (m["first_name"].clone(), m["last_name"].clone()),
            (json!("Joe"), json!("Bloggs"))
        );
        assert_eq!(m["full_name"], json!("Joe Bloggs"));
        assert_eq!(
            personal_name(&attr(), &json!("Cher")).expect("ok")["first_name"],
            json!("Cher")
        );
        assert!(personal_name(&attr(), &json!({"first_name": "Joe"})).is_err());
    }

    #[test]
    fn location_objects_need_all_ten_keys() {
        assert!(location(&attr(), &json!({"line_1": "1 Main St"})).is_err());
        let mut full: serde_json::Map<String, Value> =
            LOCATION_KEYS.iter().map(|k| (k.to_string(), Value::Null)).collect();
        full.insert("latitude".into(), json!("51.5"));
        assert!(location(&attr(), &Value::Object(full.clone())).is_ok());
        full.insert("latitude".into(), json!("91"));
        assert!(location(&attr(), &Value::Object(full)).is_err());
    }
}
