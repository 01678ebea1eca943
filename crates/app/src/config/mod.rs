//! Configuration in layers: defaults, then a TOML file, then `SEGMENT_ATTIO__SECTION__KEY`
//! environment variables. Validated as a whole at start (and by `check-config`).

#[cfg(test)]
mod documented;
mod settings;
mod validate;

use std::path::{Path, PathBuf};

pub use settings::{
    AttioSettings, DeliverySettings, DestinationEntry, DestinationSettings, IntegrationSettings, LogSettings,
    ServerSettings, Settings, SubscriptionSettings, DEFAULT_DESTINATION,
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
        // Syntax errors are reported here, by position: the config crate's own message
        // quotes the offending line, which may hold a secret.
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("reading the file: {e}")))?;
        check_syntax(&text).map_err(err)?;
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
            .with_list_parse_key("integrations.names")
            .source(Some(env)),
    );
    let cfg = builder.build().map_err(|e| err(redact(e.to_string())))?;
    let mut settings = cfg
        .try_deserialize::<Settings>()
        .map_err(|e| err(redact(e.to_string())))?;
    settings.apply_deprecated().map_err(err)?;
    Ok(settings)
}

/// A TOML syntax error as its position and the parser's description, which never quotes
/// the text of the file.
fn check_syntax(text: &str) -> Result<(), String> {
    let Err(error) = text.parse::<toml::Table>() else {
        return Ok(());
    };
    let description = redact(error.message().trim().replace('\n', " "));
    Err(match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("TOML syntax error at line {line}, column {column}: {description}")
        }
        None => format!("TOML syntax error: {description}"),
    })
}

/// Names that mark a secret setting (`attio.token`, `ingest.write_keys`,
/// `ingest.webhook_secret`, any `*token*` or `*secret*` key).
const SECRET_MARKS: [&str; 4] = ["token", "write_key", "secret", "password"];

/// Error texts of the config crate may quote values. When the message is about a secret
/// setting (or could be), every quoted value is replaced; `backticked` setting names stay.
fn redact(message: String) -> String {
    if !SECRET_MARKS.iter().any(|mark| message.contains(mark)) {
        return message;
    }
    let mut out = String::with_capacity(message.len());
    let mut rest = message.as_str();
    while let Some(start) = rest.find(['"', '`', '\'']) {
        let quote = rest[start..].chars().next().unwrap_or('"');
        out.push_str(&rest[..start + 1]);
        let after = &rest[start + 1..];
        let Some(end) = after.find(quote) else {
            // An unclosed quote: drop what follows it.
            out.push_str("<redacted>");
            return out;
        };
        let quoted = &after[..end];
        let is_name = quote == '`' && quoted.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '.');
        out.push_str(if is_name { quoted } else { "<redacted>" });
        out.push(quote);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
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
    fn errors_on_secret_lines_never_show_the_secret() {
        let secret = "wk9-Q3x-7Fz";
        let cases = [
            format!("[ingest]\nwrite_keys = [\"{secret}\" \"other\"]\n"),
            format!("[ingest]\nwrite_keys = [\"{secret}\", 3\n"),
            format!("[ingest]\nwrite_keys = [\n  \"a\",\n  \"{secret}\" \"b\"\n]\n"),
            format!("[ingest]\nwebhook_secret = \"{secret} \n"),
            format!("[ingest]\nwebhook_secret = {secret}\n"),
            format!("[ingest]\nwebhook_secret = [\"{secret}\"]\n"),
            format!("[ingest]\nwrite_keys = \"{secret}\"\n"),
            format!("[ingest]\nwrite_keys = [{{ key = \"{secret}\" }}]\n"),
            format!("[attio]\ntoken = \"{secret} \n"),
            format!("[attio]\ntoken = [\"{secret}\"]\n"),
            format!("[attio]\ntoken = {secret}\n"),
        ];
        for text in cases {
            let f = file(&text);
            let e = load_with_env(Some(f.path()), Vec::new())
                .expect_err(&format!("invalid: {text}"))
                .to_string();
            assert!(
                !e.contains("wk9") && !e.contains("Q3x") && !e.contains("7Fz"),
                "{text}\n=> {e}"
            );
            assert!(e.contains(&f.path().display().to_string()), "{e}");
        }
    }

    #[test]
    fn syntax_errors_name_the_line_and_column() {
        let f = file("[attio]\nwrite_rate = 5\nbase_url = \"http://x\" oops\n");
        let e = load_with_env(Some(f.path()), Vec::new()).unwrap_err().to_string();
        assert!(e.contains("line 3"), "{e}");
    }

    #[test]
    fn secret_values_in_the_environment_are_not_shown() {
        let env = vec![("SEGMENT_ATTIO__INGEST__WEBHOOK_SECRET".to_owned(), "[1, 2]".to_owned())];
        if let Err(e) = load_with_env(None, env) {
            assert!(!e.to_string().contains("[1, 2]"), "{e}");
        }
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let env = vec![("SEGMENT_ATTIO__ATTIO__TOKEN".to_owned(), "tok_very_secret".to_owned())];
        let s = load_with_env(None, env).unwrap();
        assert!(!format!("{s:?}").contains("tok_very_secret"));
    }
}
