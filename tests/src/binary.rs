//! Locates the `segment-attio` binary for the end-to-end suites (building it when it is
//! missing) and runs it as a real process.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// `target/<profile>/segment-attio`, next to the running test executable's `deps/`.
///
/// Under cargo (`CARGO` is set) the binary is (re)built once per test process from this
/// workspace's sources: the target directory may be shared by several checkouts, and the
/// acceptance crate does not depend on the binary, so an existing file may be stale.
/// Without cargo it is built only when missing.
pub fn path() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(|d| d.parent())
            .expect("target/<profile>/deps")
            .to_path_buf();
        let bin = profile_dir.join(format!("segment-attio{}", std::env::consts::EXE_SUFFIX));
        let cargo = std::env::var("CARGO").ok();
        if cargo.is_some() || !bin.exists() {
            let release = profile_dir.file_name().is_some_and(|n| n == "release");
            let mut cmd = Command::new(cargo.unwrap_or_else(|| "cargo".into()));
            let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
            cmd.args(["build", "--quiet", "--manifest-path", manifest]);
            cmd.args(["-p", "segment-attio", "--bin", "segment-attio"]);
            if release {
                cmd.arg("--release");
            }
            // The variables cargo sets for this test crate would make build scripts that
            // watch them (ring's watches CARGO_MANIFEST_DIR) rebuild everything.
            for (key, _) in std::env::vars_os() {
                let k = key.to_string_lossy();
                let per_crate = ["CARGO_MANIFEST_", "CARGO_PKG_", "CARGO_BIN_"]
                    .iter()
                    .any(|p| k.starts_with(p))
                    || [
                        "CARGO_CRATE_NAME",
                        "CARGO_PRIMARY_PACKAGE",
                        "CARGO_TARGET_TMPDIR",
                        "CARGO_RUSTC_CURRENT_DIR",
                        "OUT_DIR",
                    ]
                    .contains(&k.as_ref());
                if per_crate {
                    cmd.env_remove(&key);
                }
            }
            let status = cmd.status().expect("cargo runs");
            assert!(status.success(), "building segment-attio failed");
        }
        bin
    })
    .clone()
}
