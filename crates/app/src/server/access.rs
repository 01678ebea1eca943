//! Who may use the admin API and the console: the admin token as a bearer header, or a
//! console session cookie (got by logging in with the token); without a configured token,
//! only clients on loopback.
//!
//! A state-changing request authenticated by the cookie must also come from the console's
//! own origin (`Origin`, or `Sec-Fetch-Site: same-origin`), against cross-site forgery.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderMap, Method};
use secrecy::{ExposeSecret, SecretString};

/// The name of the console's session cookie.
pub const SESSION_COOKIE: &str = "segment_attio_console";

/// How long a console session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

/// The configured admin token and the console sessions opened with it.
#[derive(Clone)]
pub struct Access {
    token: Option<Arc<SecretString>>,
    sessions: Arc<Sessions>,
}

/// What a request may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// No (or a wrong) token and no valid session.
    Unauthenticated,
    /// No token is configured and the client is not on loopback.
    NotLoopback,
    /// Authenticated by the cookie, but a state-changing request from another origin.
    CrossSite,
}

impl Access {
    pub fn new(token: Option<SecretString>) -> Self {
        Self {
            token: token.map(Arc::new),
            sessions: Arc::new(Sessions::default()),
        }
    }

    pub fn token_configured(&self) -> bool {
        self.token.is_some()
    }

    /// Decides on a request.
    pub fn check(&self, request: &Request) -> Verdict {
        let Some(expected) = &self.token else {
            let peer = request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| *addr);
            // Behind a proxy on the same host every client looks local: a relayed request
            // is not taken for a local one.
            let relayed = segment_adapter::ingest::is_forwarded(request.headers());
            return if !relayed && peer.is_some_and(|p| p.ip().to_canonical().is_loopback()) {
                Verdict::Allowed
            } else {
                Verdict::NotLoopback
            };
        };
        let headers = request.headers();
        if bearer(headers).is_some_and(|given| self.token_matches(given, expected)) {
            return Verdict::Allowed;
        }
        if !cookie(headers, SESSION_COOKIE).is_some_and(|id| self.sessions.is_valid(id)) {
            return Verdict::Unauthenticated;
        }
        let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        if safe || same_origin(headers) {
            Verdict::Allowed
        } else {
            Verdict::CrossSite
        }
    }

    /// Whether the bearer header carries the token (for `/metrics`, which takes no cookie).
    pub fn bearer_allowed(&self, headers: &HeaderMap) -> bool {
        match &self.token {
            None => true,
            Some(expected) => bearer(headers).is_some_and(|given| self.token_matches(given, expected)),
        }
    }

    /// Opens a session when `given` is the token; the cookie's value.
    pub fn login(&self, given: &str) -> Option<String> {
        let expected = self.token.as_ref()?;
        self.token_matches(given, expected).then(|| self.sessions.open())
    }

    pub fn logout(&self, headers: &HeaderMap) {
        if let Some(id) = cookie(headers, SESSION_COOKIE) {
            self.sessions.close(id);
        }
    }

    fn token_matches(&self, given: &str, expected: &SecretString) -> bool {
        constant_time_eq(given.trim().as_bytes(), expected.expose_secret().as_bytes())
    }
}

/// The `Set-Cookie` value of a new session.
pub fn session_cookie(id: &str) -> String {
    format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
        SESSION_TTL.as_secs()
    )
}

/// The `Set-Cookie` value that ends a session.
pub fn expired_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The request comes from a page of this service: its `Origin` names the `Host` it was
/// sent to, or (without `Origin`) the browser says it is same-origin.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match (text("origin"), text("host")) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host)),
        (Some(_), None) => false,
        (None, _) => text("sec-fetch-site") == Some("same-origin"),
    }
}

/// Compares without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Open console sessions: random ids and when they expire.
#[derive(Default)]
struct Sessions {
    open: Mutex<HashMap<String, Instant>>,
}

impl Sessions {
    fn open(&self) -> String {
        let id: String = (0..4).map(|_| format!("{:016x}", rand::random::<u64>())).collect();
        let now = Instant::now();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.retain(|_, expires| *expires > now);
        open.insert(id.clone(), now + SESSION_TTL);
        id
    }

    fn is_valid(&self, id: &str) -> bool {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.get(id).is_some_and(|expires| *expires > Instant::now())
    }

    fn close(&self, id: &str) {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(method: Method, headers: &[(&str, &str)], peer: [u8; 4]) -> Request {
        let mut builder = axum::http::Request::builder().method(method).uri("/console");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let mut request = builder.body(Body::empty()).expect("request");
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((peer, 40000))));
        request
    }

    const LOCAL: [u8; 4] = [127, 0, 0, 1];
    const REMOTE: [u8; 4] = [10, 1, 2, 3];

    #[test]
    fn without_a_token_only_loopback_is_let_in() {
        let access = Access::new(None);
        assert_eq!(access.check(&request(Method::GET, &[], LOCAL)), Verdict::Allowed);
        assert_eq!(access.check(&request(Method::GET, &[], REMOTE)), Verdict::NotLoopback);
    }

    #[test]
    fn without_a_token_a_request_relayed_by_a_proxy_on_loopback_is_not_let_in() {
        let access = Access::new(None);
        let relayed = request(Method::GET, &[("x-forwarded-for", "203.0.113.9")], LOCAL);
        assert_eq!(access.check(&relayed), Verdict::NotLoopback);
    }

    #[test]
    fn bearer_token_is_let_in_from_anywhere_and_a_wrong_one_is_not() {
        let access = Access::new(Some(SecretString::from("s3cret")));
        let ok = request(Method::POST, &[("authorization", "Bearer s3cret")], REMOTE);
        assert_eq!(access.check(&ok), Verdict::Allowed);
        let wrong = request(Method::GET, &[("authorization", "Bearer s3cre")], LOCAL);
        assert_eq!(access.check(&wrong), Verdict::Unauthenticated);
        assert_eq!(
            access.check(&request(Method::GET, &[], LOCAL)),
            Verdict::Unauthenticated
        );
    }

    #[test]
    fn session_cookie_needs_the_same_origin_to_change_anything() {
        let access = Access::new(Some(SecretString::from("s3cret")));
        assert_eq!(access.login("nope"), None);
        let id = access.login("s3cret").expect("session");
        let cookie = format!("{SESSION_COOKIE}={id}");
        let get = request(Method::GET, &[("cookie", &cookie)], REMOTE);
        assert_eq!(access.check(&get), Verdict::Allowed);
        let same = [("cookie", cookie.as_str()), ("origin", "http://h:1"), ("host", "h:1")];
        assert_eq!(access.check(&request(Method::POST, &same, REMOTE)), Verdict::Allowed);
        let other = [("cookie", cookie.as_str()), ("origin", "http://evil"), ("host", "h:1")];
        assert_eq!(access.check(&request(Method::POST, &other, REMOTE)), Verdict::CrossSite);
        let bare = [("cookie", cookie.as_str())];
        assert_eq!(access.check(&request(Method::POST, &bare, REMOTE)), Verdict::CrossSite);
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, cookie.parse().expect("header"));
        access.logout(&headers);
        assert_eq!(access.check(&get), Verdict::Unauthenticated);
    }
}
