//! Locates the `segment-attio` binary for the end-to-end suites (building it when it is
//! missing) and runs it as a real process.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// Names a `segment-attio` binary to use instead of the one in the target directory.
pub const BINARY_ENV: &str = "SEGMENT_ATTIO_BIN";

/// The binary named by [`BINARY_ENV`], or else `target/<profile>/segment-attio`, next to
/// the running test executable's `deps/`.
pub fn path() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        if let Some(bin) = std::env::var_os(BINARY_ENV) {
            let bin = PathBuf::from(bin);
            assert!(bin.is_file(), "{BINARY_ENV}={} is not a file", bin.display());
            return bin;
        }
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(|d| d.parent())
            .expect("target/<profile>/deps")
            .to_path_buf();
        let bin = profile_dir.join(format!("segment-attio{}", std::env::consts::EXE_SUFFIX));
        if !bin.exists() {
            let release = profile_dir.file_name().is_some_and(|n| n == "release");
            let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
            cmd.args(["build", "-p", "segment-attio", "--bin", "segment-attio"]);
            if release {
                cmd.arg("--release");
            }
            let status = cmd.status().expect("cargo runs");
            assert!(status.success(), "building segment-attio failed");
        }
        bin
    })
    .clone()
}
