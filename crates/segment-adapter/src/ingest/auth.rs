//! Write keys (HTTP Basic, `X-Write-Key`, or `writeKey` in the body), compared in
//! constant time, and the webhook signature.

use std::net::SocketAddr;

use axum::http::{header, HeaderMap};
use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::IngestError;

/// The header Segment's Webhooks destination signs its requests with.
pub const SIGNATURE_HEADER: &str = "x-signature";
/// The write-key header some clients (Jitsu's) send.
pub const WRITE_KEY_HEADER: &str = "x-write-key";

/// The configured write keys, kept as SHA-256 digests so that comparing a presented
/// key takes the same time whatever its length or content; each with the destinations
/// its events may go to (`None`: all).
pub(crate) struct KeyRing {
    digests: Vec<[u8; 32]>,
    destinations: Vec<Option<Vec<String>>>,
}

/// The destinations a request's events may go to: `None` = every destination.
pub(crate) type Allowed = Option<Vec<String>>;

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

impl KeyRing {
    #[cfg(test)]
    pub(crate) fn new(keys: &[SecretString]) -> Self {
        Self::with_sources(keys, &[])
    }

    /// `keys` go to every destination; each source's key only to its destinations.
    pub(crate) fn with_sources(keys: &[SecretString], sources: &[super::SourceConfig]) -> Self {
        let mut ring = KeyRing {
            digests: keys.iter().map(|k| digest(k.expose_secret())).collect(),
            destinations: vec![None; keys.len()],
        };
        for source in sources {
            ring.digests.push(digest(source.write_key.expose_secret()));
            ring.destinations.push(Some(source.destinations.clone()));
        }
        ring
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Compares against every key, without stopping at a match.
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.find(key).is_some()
    }

    /// The destinations of the matching key (`Some(None)`: all), comparing against every
    /// key without stopping at a match. A key configured twice takes its last entry.
    fn find(&self, key: &str) -> Option<&Allowed> {
        let presented = digest(key);
        let mut found = None;
        for (i, known) in self.digests.iter().enumerate() {
            if bool::from(known.ct_eq(&presented)) {
                found = Some(i);
            }
        }
        found.and_then(|i| self.destinations.get(i))
    }
}

/// The key from the request headers: HTTP Basic's username (everything before the
/// first `:`, so with or without the trailing colon), else `X-Write-Key`. Other
/// `Authorization` schemes are ignored (the key is then looked for in the body).
pub(crate) fn header_key(headers: &HeaderMap) -> Result<Option<String>, IngestError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let text = value.to_str().map_err(|_| IngestError::MalformedAuthorization)?.trim();
        let (scheme, credentials) = text.split_once(' ').unwrap_or((text, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(credentials.trim())
                .map_err(|_| IngestError::MalformedAuthorization)?;
            let decoded = String::from_utf8(decoded).map_err(|_| IngestError::MalformedAuthorization)?;
            let key = decoded.split(':').next().unwrap_or_default();
            if !key.is_empty() {
                return Ok(Some(key.to_owned()));
            }
        }
    }
    if let Some(value) = headers.get(WRITE_KEY_HEADER) {
        let key = value.to_str().map_err(|_| IngestError::WrongWriteKey)?.trim();
        if !key.is_empty() {
            return Ok(Some(key.to_owned()));
        }
    }
    Ok(None)
}

fn is_loopback(peer: Option<SocketAddr>) -> bool {
    peer.is_some_and(|p| p.ip().to_canonical().is_loopback())
}

/// Headers a reverse proxy adds: a request carrying one did not come from the peer
/// that connected.
const FORWARDING_HEADERS: [&str; 5] = [
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
];

/// Whether the request was relayed by a proxy (it carries a forwarding header).
pub fn is_forwarded(headers: &HeaderMap) -> bool {
    FORWARDING_HEADERS.iter().any(|name| headers.contains_key(*name))
}

/// Whether a request with `key` from `peer` may send events. Without write keys, a
/// relayed request is refused: behind a proxy on the same host every client looks local.
pub(crate) fn authorize(
    keys: &KeyRing,
    loopback_only_without_keys: bool,
    key: Option<&str>,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
) -> Result<Allowed, IngestError> {
    if keys.is_empty() {
        if is_forwarded(headers) {
            return Err(IngestError::ForwardedWithoutKeys);
        }
        return if !loopback_only_without_keys || is_loopback(peer) {
            Ok(None)
        } else {
            Err(IngestError::NotLoopback)
        };
    }
    match key {
        None => Err(IngestError::MissingWriteKey),
        Some(key) => keys.find(key).cloned().ok_or(IngestError::WrongWriteKey),
    }
}

/// Checks `X-Signature`: the lowercase or uppercase hex HMAC-SHA1 of `body` with the
/// shared secret (what Segment's Webhooks destination sends), compared in constant time.
pub(crate) fn verify_signature(secret: &SecretString, headers: &HeaderMap, body: &[u8]) -> Result<(), IngestError> {
    let header = headers.get(SIGNATURE_HEADER).ok_or(IngestError::MissingSignature)?;
    let presented = header
        .to_str()
        .ok()
        .and_then(|text| decode_hex(text.trim()))
        .ok_or(IngestError::WrongSignature)?;
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.expose_secret().as_bytes())
        .map_err(|_| IngestError::WrongSignature)?;
    mac.update(body);
    mac.verify_slice(&presented).map_err(|_| IngestError::WrongSignature)
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    text.as_bytes()
        .chunks(2)
        .map(|pair| match pair {
            [high, low] => Some(hex_digit(*high)? << 4 | hex_digit(*low)?),
            _ => None,
        })
        .collect()
}

fn hex_digit(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
pub(crate) fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn basic(credentials: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).expect("ascii"),
        );
        headers
    }

    fn ring(keys: &[&str]) -> KeyRing {
        let keys: Vec<SecretString> = keys.iter().map(|k| SecretString::from(*k)).collect();
        KeyRing::new(&keys)
    }

    #[test]
    fn basic_username_is_the_key_with_or_without_colon() {
        assert_eq!(header_key(&basic("WK123:")).expect("valid").as_deref(), Some("WK123"));
        assert_eq!(header_key(&basic("WK123")).expect("valid").as_deref(), Some("WK123"));
        assert_eq!(
            header_key(&basic("WK123:ignored")).expect("valid").as_deref(),
            Some("WK123")
        );
    }

    #[test]
    fn broken_basic_credentials_are_rejected() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert!(matches!(header_key(&headers), Err(IngestError::MalformedAuthorization)));
    }

    #[test]
    fn bearer_tokens_leave_the_key_to_the_body() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        assert_eq!(header_key(&headers).expect("valid"), None);
    }

    #[test]
    fn x_write_key_header_is_read() {
        let mut headers = HeaderMap::new();
        headers.insert(WRITE_KEY_HEADER, HeaderValue::from_static("WK9"));
        assert_eq!(header_key(&headers).expect("valid").as_deref(), Some("WK9"));
    }

    #[test]
    fn key_ring_matches_only_configured_keys() {
        let keys = ring(&["alpha", "beta"]);
        assert!(keys.contains("alpha") && keys.contains("beta"));
        assert!(!keys.contains("alph") && !keys.contains("alphaa") && !keys.contains(""));
    }

    #[test]
    fn keyless_service_accepts_only_loopback_peers() {
        let keys = ring(&[]);
        let local: SocketAddr = "127.0.0.1:9".parse().expect("addr");
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:9".parse().expect("addr");
        let remote: SocketAddr = "10.0.0.1:9".parse().expect("addr");
        assert!(authorize(&keys, true, None, Some(local), &HeaderMap::new()).is_ok());
        assert!(authorize(&keys, true, None, Some(mapped), &HeaderMap::new()).is_ok());
        assert!(matches!(
            authorize(&keys, true, None, Some(remote), &HeaderMap::new()),
            Err(IngestError::NotLoopback)
        ));
        assert!(matches!(
            authorize(&keys, true, None, None, &HeaderMap::new()),
            Err(IngestError::NotLoopback)
        ));
        assert!(authorize(&keys, false, None, Some(remote), &HeaderMap::new()).is_ok());
    }

    #[test]
    fn keyless_service_refuses_relayed_requests_even_from_loopback() {
        let keys = ring(&[]);
        let local: SocketAddr = "127.0.0.1:9".parse().expect("addr");
        for name in FORWARDING_HEADERS {
            let mut headers = HeaderMap::new();
            headers.insert(name, HeaderValue::from_static("203.0.113.7"));
            assert!(
                matches!(
                    authorize(&keys, true, None, Some(local), &headers),
                    Err(IngestError::ForwardedWithoutKeys)
                ),
                "{name}"
            );
        }
        let keyed = ring(&["k"]);
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.7"));
        assert!(authorize(&keyed, true, Some("k"), Some(local), &headers).is_ok());
    }

    #[test]
    fn configured_keys_are_required() {
        let keys = ring(&["k"]);
        assert!(authorize(&keys, true, Some("k"), None, &HeaderMap::new()).is_ok());
        assert!(matches!(
            authorize(&keys, true, None, None, &HeaderMap::new()),
            Err(IngestError::MissingWriteKey)
        ));
        assert!(matches!(
            authorize(&keys, true, Some("x"), None, &HeaderMap::new()),
            Err(IngestError::WrongWriteKey)
        ));
    }

    #[test]
    fn webhook_signature_is_hex_hmac_sha1_of_the_body() {
        // RFC 2202 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        let secret = SecretString::from("s3cret");
        let body = br#"{"type":"track"}"#;
        let mut headers = HeaderMap::new();
        headers.insert(
            SIGNATURE_HEADER,
            HeaderValue::from_str(&sign("s3cret", body)).expect("hex"),
        );
        assert!(verify_signature(&secret, &headers, body).is_ok());
        assert!(matches!(
            verify_signature(&secret, &headers, b"{}"),
            Err(IngestError::WrongSignature)
        ));
        headers.insert(SIGNATURE_HEADER, HeaderValue::from_static("zz"));
        assert!(matches!(
            verify_signature(&secret, &headers, body),
            Err(IngestError::WrongSignature)
        ));
        assert!(matches!(
            verify_signature(&secret, &HeaderMap::new(), body),
            Err(IngestError::MissingSignature)
        ));
    }

    #[test]
    fn a_source_key_is_accepted_with_its_destinations_and_a_plain_key_with_all() {
        let sources = [super::super::SourceConfig {
            write_key: SecretString::from("eu-key"),
            destinations: vec!["eu".into()],
        }];
        let keys = KeyRing::with_sources(&[SecretString::from("all-key")], &sources);
        let local: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let allowed = |k: &str| authorize(&keys, true, Some(k), Some(local), &HeaderMap::new());
        assert_eq!(allowed("eu-key").unwrap(), Some(vec!["eu".to_owned()]));
        assert_eq!(allowed("all-key").unwrap(), None);
        assert!(matches!(allowed("eu-ke"), Err(IngestError::WrongWriteKey)));
    }
}
