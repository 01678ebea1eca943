//! Where the installed clients are, and a failure that says how to install them.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What to run when something is missing.
pub const INSTALL_HINT: &str = "run scripts/install-test-deps.sh (it installs chromium, `npm ci`s tests/clients/node \
     and creates the Python virtualenv under the cargo target dir)";

/// `tests/clients/`.
pub fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("clients")
}

/// `tests/clients/node/`, with its `node_modules` installed from the committed lockfile.
///
/// Panics (failing the test) when `node` is not on the PATH or the installed packages are
/// not those of `package-lock.json`.
pub fn node_dir() -> PathBuf {
    let dir = clients_dir().join("node");
    let version = Command::new("node").arg("--version").output();
    match version {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "`node --version` failed ({}): {INSTALL_HINT}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => panic!("node is not installed ({e}): {INSTALL_HINT}"),
    }
    let lock = std::fs::read(dir.join("package-lock.json")).expect("tests/clients/node/package-lock.json is committed");
    let installed = std::fs::read(dir.join("node_modules/.installed-package-lock.json")).ok();
    assert!(
        installed.as_deref() == Some(lock.as_slice()),
        "tests/clients/node/node_modules is missing or was installed from another package-lock.json: {INSTALL_HINT}"
    );
    dir
}

/// The Python interpreter of the virtualenv holding `segment-analytics-python`:
/// `<target dir>/test-clients/python/bin/python`, found by walking up from the test
/// executable (so it works for any profile or target triple).
///
/// Panics when it is missing or holds other requirements than the committed file.
pub fn python() -> PathBuf {
    let requirements = clients_dir().join("python/requirements.txt");
    let wanted = std::fs::read(&requirements).expect("tests/clients/python/requirements.txt is committed");
    let exe = std::env::current_exe().expect("test executable path");
    let venv = exe
        .ancestors()
        .map(|dir| dir.join("test-clients/python"))
        .find(|venv| venv.join("bin/python").exists())
        .unwrap_or_else(|| {
            panic!(
                "no Python virtualenv at <cargo target dir>/test-clients/python above {}: {INSTALL_HINT}",
                exe.display()
            )
        });
    let installed = std::fs::read(venv.join("requirements.installed.txt")).ok();
    assert!(
        installed.as_deref() == Some(wanted.as_slice()),
        "the virtualenv at {} was not installed from the current tests/clients/python/requirements.txt: {INSTALL_HINT}",
        venv.display()
    );
    venv.join("bin/python")
}

/// The Chromium executable: `$CHROMIUM`, else `/usr/bin/chromium` (Debian's package).
pub fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "Chromium is not installed at {}: {INSTALL_HINT}",
        path.display()
    );
    path
}
