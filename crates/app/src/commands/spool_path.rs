//! Which spool a command opens: `spool.url` (PostgreSQL), `spool.path`, or
//! `DIR/spool.sqlite` with `--data-dir`.

use std::path::Path;

use app::spool::{Purpose, Spool, SpoolConfig};

/// Points the spool at `DIR/spool.sqlite`, and says so when that is not the configured file.
pub fn override_spool(spool: &mut SpoolConfig, dir: &Path) {
    if spool.is_postgres() {
        eprintln!("--data-dir is ignored: spool.url selects the PostgreSQL spool");
        return;
    }
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

/// Opens the spool a command reads: it must exist.
pub async fn open_existing(mut spool: SpoolConfig, data_dir: Option<&Path>) -> anyhow::Result<Spool> {
    if let Some(dir) = data_dir {
        override_spool(&mut spool, dir);
    }
    Ok(Spool::open(&spool, Purpose::Inspect).await?)
}

/// Opens (creating when missing) the spool, to append to it.
pub async fn open(spool: SpoolConfig) -> anyhow::Result<Spool> {
    Ok(Spool::open(&spool, Purpose::Append).await?)
}
