mod classification;
mod note_pages;
mod real_http;
mod real_http_fallback;
mod real_http_pacing;
mod server;

use std::sync::atomic::{AtomicU32, Ordering};

use secrecy::SecretString;

use super::AttioHttpConfig;

static NEXT_TOKEN: AtomicU32 = AtomicU32::new(0);

/// A config for `base_url` with a token no other test uses (limiters are shared per token).
pub(super) fn config_for(base_url: &str) -> AttioHttpConfig {
    let n = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
    AttioHttpConfig::new(SecretString::from(format!("test-token-{n}"))).with_base_url(base_url)
}
