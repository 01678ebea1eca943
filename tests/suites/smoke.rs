use segment_attio_acceptance::binary;

#[test]
fn binary_prints_its_version() {
    let out = std::process::Command::new(binary::path())
        .arg("--version")
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("segment-attio "));
}
