//! Domain values: host names, cut out of whatever URL they came in.

use std::fmt;

use serde_json::{json, Value};

use super::error::ValueProblem;
use super::json_form::{only_keys, required_str, wrong_type};

const MAX_DOMAIN_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;

/// Second-level labels under which country-code top-level domains register names
/// (`example.co.uk`, `example.com.au`, `example.or.jp`), for [`Domain::root_domain`].
const CCTLD_SECOND_LEVELS: [&str; 21] = [
    "ac", "asn", "co", "com", "edu", "gob", "gouv", "gov", "go", "gv", "ltd", "mil", "ne", "net", "nhs", "nic", "nom",
    "or", "org", "plc", "sch",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("it is empty")]
    Empty,
    #[error("it contains {0:?}, which a host name cannot")]
    InvalidCharacter(char),
    #[error("it has an empty label (two dots in a row, or a leading dot)")]
    EmptyLabel,
    #[error("the label \"{0}\" is longer than 63 characters")]
    LabelTooLong(String),
    #[error("the label \"{0}\" starts or ends with a hyphen")]
    HyphenAtEdge(String),
    #[error("it needs at least two labels, e.g. example.com")]
    SingleLabel,
    #[error("it is an IP address or ends in a numeric label")]
    NumericTopLevel,
    #[error("it is longer than 253 characters")]
    TooLong,
}

/// A domain name, lower-case, without scheme, user, port, path, query or fragment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Domain {
    name: String,
    /// Byte offset of the root domain within `name`.
    root_start: usize,
}

impl Domain {
    /// Accepts a domain or a URL and keeps the host: `https://App.Attio.com:443/path?q` gives
    /// `app.attio.com`. Labels are letters (any script), digits and inner hyphens; at least two
    /// labels; the last one not all digits (IP addresses are refused).
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let mut s = input.trim();
        let had_scheme = match s.find("://") {
            Some(i) => {
                s = &s[i + 3..];
                true
            }
            None => match s.strip_prefix("//") {
                Some(rest) => {
                    s = rest;
                    true
                }
                None => false,
            },
        };
        if let Some(end) = s.find(['/', '?', '#']) {
            s = &s[..end];
        }
        if had_scheme {
            if let Some(at) = s.rfind('@') {
                s = &s[at + 1..];
            }
        }
        if let Some((host, port)) = s.rsplit_once(':') {
            if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
                s = host;
            }
        }
        let s = s.strip_suffix('.').unwrap_or(s);
        let name = s.to_lowercase();
        check(&name)?;
        let root_start = root_start(&name);
        Ok(Self { name, root_start })
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The registrable part of the domain, by a heuristic rather than the full public suffix
    /// list: the last two labels (`app.attio.com` → `attio.com`), or the last three when the
    /// top-level label is a two-letter country code and the second-level label is one of the
    /// usual registration labels such as `co`, `com`, `org`, `ac`, `gov` (`www.bbc.co.uk` →
    /// `bbc.co.uk`, `shop.example.com.au` → `example.com.au`). Private suffixes such as
    /// `github.io` are not known: `x.github.io` → `github.io`.
    pub fn root_domain(&self) -> &str {
        &self.name[self.root_start..]
    }

    /// `{"domain": "…"}`.
    pub fn to_write_json(&self) -> Value {
        json!({ "domain": self.name })
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

fn check(name: &str) -> Result<(), DomainError> {
    if name.is_empty() {
        return Err(DomainError::Empty);
    }
    if let Some(c) = name.chars().find(|c| !(c.is_alphanumeric() || *c == '-' || *c == '.')) {
        return Err(DomainError::InvalidCharacter(c));
    }
    if name.len() > MAX_DOMAIN_LEN {
        return Err(DomainError::TooLong);
    }
    let labels: Vec<&str> = name.split('.').collect();
    for label in &labels {
        if label.is_empty() {
            return Err(DomainError::EmptyLabel);
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(DomainError::LabelTooLong((*label).to_owned()));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(DomainError::HyphenAtEdge((*label).to_owned()));
        }
    }
    if labels.len() < 2 {
        return Err(DomainError::SingleLabel);
    }
    if labels.last().is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit())) {
        return Err(DomainError::NumericTopLevel);
    }
    Ok(())
}

fn root_start(name: &str) -> usize {
    let labels: Vec<&str> = name.split('.').collect();
    let n = labels.len();
    let is_cc_second_level = n >= 3 && labels[n - 1].len() == 2 && CCTLD_SECOND_LEVELS.contains(&labels[n - 2]);
    let keep = if is_cc_second_level { 3 } else { 2 };
    if n <= keep {
        return 0;
    }
    // Bytes of the dropped labels, each with its dot.
    labels[..n - keep].iter().map(|l| l.len() + 1).sum()
}

/// `"example.com"` (or a URL) or `{"domain": "…"}`.
pub(super) fn domain_from_json(v: &Value) -> Result<Domain, ValueProblem> {
    let text = match v {
        Value::String(s) => s.as_str(),
        Value::Object(map) => {
            only_keys(map, &["domain"])?;
            required_str(map, "domain")?
        }
        other => return Err(wrong_type(other, "a domain string or {\"domain\": string}")),
    };
    Ok(Domain::parse(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(s: &str) -> String {
        Domain::parse(s)
            .map(|d| d.as_str().to_owned())
            .unwrap_or_else(|e| format!("error: {e}"))
    }

    fn root(s: &str) -> String {
        Domain::parse(s).map(|d| d.root_domain().to_owned()).unwrap_or_default()
    }

    #[test]
    fn urls_are_cut_down_to_the_host() {
        assert_eq!(host("app.attio.com"), "app.attio.com");
        assert_eq!(host(" HTTPS://App.Attio.com:443/path/x?q=1#top "), "app.attio.com");
        assert_eq!(host("http://user:pw@example.org/"), "example.org");
        assert_eq!(host("//cdn.example.net/lib.js"), "cdn.example.net");
        assert_eq!(host("example.com."), "example.com");
        assert_eq!(host("example.com/about"), "example.com");
        assert_eq!(host("bücher.de"), "bücher.de");
    }

    #[test]
    fn non_domains_are_refused_with_the_reason() {
        assert_eq!(host(""), "error: it is empty");
        assert_eq!(host("https://"), "error: it is empty");
        assert_eq!(
            host("localhost"),
            "error: it needs at least two labels, e.g. example.com"
        );
        assert_eq!(
            host("a..com"),
            "error: it has an empty label (two dots in a row, or a leading dot)"
        );
        assert_eq!(host("-a.com"), "error: the label \"-a\" starts or ends with a hyphen");
        assert_eq!(host("a b.com"), "error: it contains ' ', which a host name cannot");
        assert_eq!(
            host("joe@example.com"),
            "error: it contains '@', which a host name cannot"
        );
        assert_eq!(
            host("192.168.0.1"),
            "error: it is an IP address or ends in a numeric label"
        );
        assert_eq!(
            host("example.com:abc"),
            "error: it contains ':', which a host name cannot"
        );
        assert!(host(&format!("{}.com", "a".repeat(64))).starts_with("error: the label"));
        assert_eq!(
            host(&format!("{}com", "abcdefghi.".repeat(26))),
            "error: it is longer than 253 characters"
        );
    }

    #[test]
    fn root_domain_drops_subdomains() {
        assert_eq!(root("app.attio.com"), "attio.com");
        assert_eq!(root("attio.com"), "attio.com");
        assert_eq!(root("a.b.c.example.io"), "example.io");
        assert_eq!(root("www.bbc.co.uk"), "bbc.co.uk");
        assert_eq!(root("shop.example.com.au"), "example.com.au");
        assert_eq!(root("co.uk"), "co.uk");
        assert_eq!(root("news.google.co"), "google.co");
        assert_eq!(root("x.github.io"), "github.io");
    }

    #[test]
    fn json_forms() {
        assert_eq!(
            domain_from_json(&json!({"domain": "Acme.com"})).unwrap().as_str(),
            "acme.com"
        );
        assert_eq!(
            domain_from_json(&json!({"domain": 1})).unwrap_err().to_string(),
            "has \"domain\" set to a number, expected a string"
        );
        assert_eq!(
            domain_from_json(&json!("nodot")).unwrap_err().to_string(),
            "is not a valid domain: it needs at least two labels, e.g. example.com"
        );
        assert_eq!(
            Domain::parse("acme.com").unwrap().to_write_json(),
            json!({"domain": "acme.com"})
        );
    }
}
