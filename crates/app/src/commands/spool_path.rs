//! Which spool file a command opens: `spool.path`, or `DIR/spool.sqlite` with `--data-dir`.

use std::path::Path;

use anyhow::Context;
use app::spool::{SpoolConfig, SqliteSpool};

/// Points the spool at `DIR/spool.sqlite`, and says so when that is not the configured file.
pub fn override_spool(spool: &mut SpoolConfig, dir: &Path) {
    let path = dir.join("spool.sqlite");
    if path != spool.path {
        eprintln!(
            "using the spool {} (--data-dir), not the configured {}",
            path.display(),
            spool.path.display()
        );
        tracing::info!(path = %path.display(), configured = %spool.path.display(), "spool from --data-dir");
    }
    spool.path = path;
}

/// Opens the spool a command reads: it must exist (an inspection that created an empty
/// spool would answer "nothing there" about the wrong file).
pub async fn open_existing(mut spool: SpoolConfig, data_dir: Option<&Path>) -> anyhow::Result<SqliteSpool> {
    if let Some(dir) = data_dir {
        override_spool(&mut spool, dir);
    }
    if !spool.path.is_file() {
        anyhow::bail!(
            "there is no spool at {} (set spool.path in the configuration or use --data-dir DIR)",
            spool.path.display()
        );
    }
    open(spool).await
}

/// Opens (creating when missing) the spool.
pub async fn open(spool: SpoolConfig) -> anyhow::Result<SqliteSpool> {
    let path = spool.path.clone();
    tokio::task::spawn_blocking(move || SqliteSpool::open(spool))
        .await?
        .with_context(|| format!("opening the spool at {}", path.display()))
}
