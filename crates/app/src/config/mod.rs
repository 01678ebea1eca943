//! Configuration in layers: defaults, then a TOML file, then `SEGMENT_ATTIO__SECTION__KEY`
//! environment variables. Validated as a whole at start (and by `check-config`).

mod settings;
mod validate;

use std::path::{Path, PathBuf};

pub use settings::{
    AttioSettings, DeliverySettings, DestinationEntry, DestinationSettings, LogSettings, ServerSettings, Settings,
    SubscriptionSettings, DEFAULT_DESTINATION,
};
pub use validate::{build_subscriptions, validate, ValidConfig};

/// The environment prefix: `SEGMENT_ATTIO__ATTIO__TOKEN` sets `attio.token`.
pub const ENV_PREFIX: &str = "SEGMENT_ATTIO";

/// A configuration that cannot be used. Messages name the file, the subscription and the
/// field; they never contain secret values.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{source_name}: {message}")]
    Load { source_name: String, message: String },
    #[error("{source_name}: subscriptions[{index}] ({name:?}): {problem}")]
    Subscription {
        source_name: String,
        index: usize,
        name: String,
        problem: String,
    },
    #[error("{source_name}: {field}: {problem}")]
    Invalid {
        source_name: String,
        field: String,
        problem: String,
    },
}

/// Where the settings came from, for messages.
pub fn source_name(file: Option<&Path>) -> String {
    match file {
        Some(p) => p.display().to_string(),
        None => "configuration (defaults and environment)".to_owned(),
    }
}

/// Loads defaults, then `file` (if given; it must exist), then the environment.
pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
    load_with_env(file, std::env::vars())
}

/// `load` with an explicit environment (tests).
pub fn load_with_env(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Settings, ConfigError> {
    let name = source_name(file);
    let err = |message: String| ConfigError::Load {
        source_name: name.clone(),
        message,
    };
    let mut builder = config::Config::builder();
    if let Some(path) = file {
        if !path.exists() {
            return Err(err("the file does not exist".to_owned()));
        }
        builder = builder.add_source(config::File::from(PathBuf::from(path)).format(config::FileFormat::Toml));
    }
    let env: config::Map<String, String> = env.into_iter().filter(|(k, _)| k.starts_with(ENV_PREFIX)).collect();
    builder = builder.add_source(
        config::Environment::with_prefix(ENV_PREFIX)
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("ingest.write_keys")
            .with_list_parse_key("destination.integration_names")
            .source(Some(env)),
    );
    let cfg = builder.build().map_err(|e| err(redact(e.to_string())))?;
    cfg.try_deserialize::<Settings>()
        .map_err(|e| err(redact(e.to_string())))
}

/// Error texts of the config crate may quote values; never let a token through.
fn redact(message: String) -> String {
    if message.contains("token") || message.contains("write_keys") || message.contains("secret") {
        message
            .split_whitespace()
            .map(|w| {
                if w.starts_with('"') && w.len() > 12 {
                    "\"<redacted>\""
                } else {
                    w
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::io::Write;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new().suffix(".toml").tempfile().expect("temp file");
        f.write_all(text.as_bytes()).expect("write");
        f
    }

    #[test]
    fn defaults_apply_without_file_or_environment() {
        let s = load_with_env(None, Vec::new()).unwrap();
        assert_eq!(s.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.attio.write_rate, 25);
        assert_eq!(s.attio.read_rate, 100);
        assert!(s.attio.token.is_none());
        assert!(s.subscriptions.is_empty());
    }

    #[test]
    fn environment_overrides_the_file() {
        let f = file("[attio]\nwrite_rate = 5\nbase_url = \"http://127.0.0.1:9\"\n");
        let env = vec![
            ("SEGMENT_ATTIO__ATTIO__WRITE_RATE".to_owned(), "7".to_owned()),
            ("SEGMENT_ATTIO__ATTIO__TOKEN".to_owned(), "tok_secret".to_owned()),
            ("SEGMENT_ATTIO__INGEST__WRITE_KEYS".to_owned(), "k1,k2".to_owned()),
        ];
        let s = load_with_env(Some(f.path()), env).unwrap();
        assert_eq!(s.attio.write_rate, 7);
        assert_eq!(s.attio.base_url, "http://127.0.0.1:9");
        assert_eq!(
            s.attio.token.as_ref().map(|t| t.expose_secret().to_owned()).as_deref(),
            Some("tok_secret")
        );
        assert_eq!(s.ingest.write_keys.len(), 2);
    }

    #[test]
    fn unknown_key_is_an_error_naming_the_file_and_key() {
        let f = file("[attio]\nwrite_rat = 5\n");
        let e = load_with_env(Some(f.path()), Vec::new()).unwrap_err().to_string();
        assert!(e.contains(&f.path().display().to_string()), "{e}");
        assert!(e.contains("write_rat"), "{e}");
    }

    #[test]
    fn missing_file_is_an_error() {
        let e = load_with_env(Some(Path::new("/nonexistent/x.toml")), Vec::new()).unwrap_err();
        assert!(e.to_string().contains("does not exist"));
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let env = vec![("SEGMENT_ATTIO__ATTIO__TOKEN".to_owned(), "tok_very_secret".to_owned())];
        let s = load_with_env(None, env).unwrap();
        assert!(!format!("{s:?}").contains("tok_very_secret"));
    }
}
