//! The endpoint under load, restricted to the loopback interface.
//!
//! Load must never leave this machine, so the target URL is accepted only when its host is
//! `localhost`, an IPv4 address in `127.0.0.0/8` or the IPv6 loopback `::1`. `localhost` is
//! pinned to `127.0.0.1` rather than resolved, so no resolver configuration can redirect it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use reqwest::Url;

/// Why a `--url` was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    #[error("--url: `{url}` is not a valid URL: {reason}")]
    Unparseable { url: String, reason: String },
    #[error("--url: scheme `{scheme}` is not supported; use http:// (or https://)")]
    Scheme { scheme: String },
    #[error("--url: the URL has no host")]
    NoHost,
    #[error(
        "--url: host `{host}` is not a loopback address; only localhost, 127.0.0.0/8 and ::1 are allowed, \
         this tool never sends load to another machine"
    )]
    NotLoopback { host: String },
    #[error("--url: must not carry credentials; pass the write key with --write-key")]
    Credentials,
    #[error("--url: must not carry a query string or fragment")]
    QueryOrFragment,
    #[error("--path: `{path}` must start with `/`")]
    Path { path: String },
}

/// A validated loopback endpoint: where batches are posted, and the address it must connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopbackTarget {
    endpoint: Url,
    pinned: Option<(String, SocketAddr)>,
}

impl LoopbackTarget {
    /// Validates `base` (e.g. `http://127.0.0.1:8080`) and appends `path` (e.g. `/v1/batch`).
    pub fn parse(base: &str, path: &str) -> Result<Self, TargetError> {
        let url = Url::parse(base).map_err(|e| TargetError::Unparseable {
            url: base.to_owned(),
            reason: e.to_string(),
        })?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(TargetError::Scheme {
                scheme: url.scheme().to_owned(),
            });
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(TargetError::Credentials);
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(TargetError::QueryOrFragment);
        }
        if !path.starts_with('/') {
            return Err(TargetError::Path { path: path.to_owned() });
        }
        let host = url.host_str().ok_or(TargetError::NoHost)?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let pinned = match bare.parse::<IpAddr>() {
            Ok(ip) if ip.is_loopback() => None,
            Ok(_) => return Err(TargetError::NotLoopback { host: host.to_owned() }),
            Err(_) if host.eq_ignore_ascii_case("localhost") => {
                let port = url.port_or_known_default().ok_or(TargetError::NoHost)?;
                Some((
                    host.to_ascii_lowercase(),
                    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
                ))
            }
            Err(_) => return Err(TargetError::NotLoopback { host: host.to_owned() }),
        };
        let mut endpoint = url;
        let joined = format!("{}{}", endpoint.path().trim_end_matches('/'), path);
        endpoint.set_path(&joined);
        Ok(Self { endpoint, pinned })
    }

    /// The full URL batches are posted to.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// For `localhost`, the fixed loopback address the client must use instead of resolving.
    pub fn pinned_address(&self) -> Option<(&str, SocketAddr)> {
        self.pinned.as_ref().map(|(name, addr)| (name.as_str(), *addr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_host(url: &str) -> bool {
        matches!(
            LoopbackTarget::parse(url, "/v1/batch"),
            Err(TargetError::NotLoopback { .. })
        )
    }

    #[test]
    fn ipv4_loopback_is_accepted_and_path_appended() {
        let target = LoopbackTarget::parse("http://127.0.0.1:8080", "/v1/batch").expect("loopback");
        assert_eq!(target.endpoint().as_str(), "http://127.0.0.1:8080/v1/batch");
        assert_eq!(target.pinned_address(), None);
    }

    #[test]
    fn whole_127_slash_8_range_is_accepted() {
        let target = LoopbackTarget::parse("http://127.45.6.7:9000/", "/v1/batch").expect("loopback");
        assert_eq!(target.endpoint().as_str(), "http://127.45.6.7:9000/v1/batch");
    }

    #[test]
    fn ipv6_loopback_is_accepted() {
        let target = LoopbackTarget::parse("http://[::1]:8080", "/v1/import").expect("loopback");
        assert_eq!(target.endpoint().as_str(), "http://[::1]:8080/v1/import");
    }

    #[test]
    fn localhost_is_accepted_and_pinned_to_127_0_0_1() {
        let target = LoopbackTarget::parse("http://LocalHost:8081/base/", "/v1/batch").expect("loopback");
        assert_eq!(target.endpoint().as_str(), "http://localhost:8081/base/v1/batch");
        let (name, addr) = target.pinned_address().expect("pinned");
        assert_eq!(name, "localhost");
        assert_eq!(addr, "127.0.0.1:8081".parse().expect("socket address"));
    }

    #[test]
    fn non_loopback_hosts_are_refused() {
        for url in [
            "http://10.0.0.1:8080",
            "http://192.168.1.2",
            "http://0.0.0.0:8080",
            "http://128.0.0.1",
            "http://[::2]:8080",
            "http://[::ffff:127.0.0.1]:8080",
            "http://example.com",
            "http://localhost.example.com",
            "http://localhost.",
            "http://api.segment.io",
        ] {
            assert!(refused_host(url), "{url} must be refused");
        }
    }

    #[test]
    fn refusal_message_names_the_flag_and_the_host() {
        let err = LoopbackTarget::parse("http://example.com:80", "/v1/batch").expect_err("refused");
        let message = err.to_string();
        assert!(message.contains("--url"), "{message}");
        assert!(message.contains("example.com"), "{message}");
        assert!(message.contains("loopback"), "{message}");
    }

    #[test]
    fn other_schemes_credentials_queries_and_garbage_are_refused() {
        assert!(matches!(
            LoopbackTarget::parse("ftp://127.0.0.1", "/v1/batch"),
            Err(TargetError::Scheme { .. })
        ));
        assert_eq!(
            LoopbackTarget::parse("http://user:pw@127.0.0.1", "/v1/batch"),
            Err(TargetError::Credentials)
        );
        assert_eq!(
            LoopbackTarget::parse("http://127.0.0.1/?a=1", "/v1/batch"),
            Err(TargetError::QueryOrFragment)
        );
        assert!(matches!(
            LoopbackTarget::parse("not a url", "/v1/batch"),
            Err(TargetError::Unparseable { .. })
        ));
        assert!(matches!(
            LoopbackTarget::parse("http://127.0.0.1", "v1/batch"),
            Err(TargetError::Path { .. })
        ));
    }
}
