//! Attio's host and how path segments and query values are encoded.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Attio's public API host; the service's base URL is configurable.
pub const ATTIO_BASE_URL: &str = "https://api.attio.com";

/// Characters left as they are in a path segment: RFC 3986 unreserved plus the
/// sub-delimiters a slug may reasonably contain. Everything else, notably `/`, `?`,
/// `#`, `%` and space, is percent-encoded (deviation D1).
pub(crate) const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
/// A query value is encoded like `encodeURIComponent`: `&`, `=`, `#` cannot inject.
pub(crate) const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes one path segment (object, attribute or list slug, record id).
pub fn encode_path_segment(s: &str) -> String {
    utf8_percent_encode(s, PATH_SEGMENT).to_string()
}

/// Percent-encodes one query value.
pub fn encode_query_value(s: &str) -> String {
    utf8_percent_encode(s, QUERY_VALUE).to_string()
}

/// Shown in dry runs where a `record_id` comes from the reply to the previous request.
pub const RECORD_ID_PLACEHOLDER: &str = "<record_id from the reply to the previous request>";
