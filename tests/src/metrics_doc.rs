//! The metric list of `docs/metrics.md`, and the metric families a `/metrics` page or a
//! PromQL expression names, to check one against the other.

use std::collections::BTreeMap;
use std::path::Path;

/// `docs/metrics.md`'s table: metric name → type (`counter`, `gauge`, `histogram`).
pub fn documented() -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/metrics.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let table: BTreeMap<String, String> = text
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            name.starts_with("segment_attio_")
                .then(|| (name.to_owned(), cells.get(2).copied().unwrap_or_default().to_owned()))
        })
        .collect();
    assert!(table.len() >= 10, "docs/metrics.md lists only {table:?}");
    table
}

/// The families of a Prometheus text page: name → type, from its `# TYPE` lines.
pub fn families(page: &str) -> BTreeMap<String, String> {
    page.lines()
        .filter_map(|line| {
            let mut words = line.strip_prefix("# TYPE ")?.split_whitespace();
            Some((words.next()?.to_owned(), words.next()?.to_owned()))
        })
        .collect()
}

/// The `segment_attio_*` families a PromQL expression reads (a histogram's `_bucket`,
/// `_sum` and `_count` series name the histogram).
pub fn referenced(expr: &str, documented: &BTreeMap<String, String>) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(start) = rest.find("segment_attio_") {
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let name = &tail[..end];
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                name.strip_suffix(suffix)
                    .filter(|base| documented.get(*base).is_some_and(|t| t == "histogram"))
            })
            .unwrap_or(name);
        names.push(family.to_owned());
        rest = &tail[end..];
    }
    names
}
