//! Which parts of an event a reader (a subscription's FQL and mapping) can reach: its
//! top-level keys, each either whole or — when its value is an object — only some of that
//! object's keys.

/// A projection of an event object. Built from the paths a reader follows; an event
/// parsed with it ([`Val::parse_with`](super::Val::parse_with)) answers every lookup along
/// those paths as the full event does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Projection {
    /// Sorted by key.
    keys: Vec<(Box<str>, Children)>,
}

/// The keys kept of a top-level value when it is an object; `None` keeps it whole.
type Children = Option<Vec<Box<str>>>;

impl Projection {
    /// The empty projection: no key is kept.
    pub fn new() -> Self {
        Self::default()
    }

    /// Each of `roots` kept whole.
    pub fn of_roots<K: AsRef<str>>(roots: &[K]) -> Self {
        let mut p = Self::new();
        for r in roots {
            p.read_root(r.as_ref());
        }
        p
    }

    fn slot(&mut self, root: &str) -> &mut Children {
        let i = match self.keys.binary_search_by(|(k, _)| (**k).cmp(root)) {
            Ok(i) => i,
            Err(i) => {
                self.keys.insert(i, (root.into(), Some(Vec::new())));
                i
            }
        };
        &mut self.keys[i].1
    }

    /// Keeps `root` whole.
    pub fn read_root(&mut self, root: &str) {
        *self.slot(root) = None;
    }

    /// Keeps what a lookup of `path` (one key per step, at least one) reaches: the first
    /// key, narrowed to the second when there is one.
    pub fn read_path<K: AsRef<str>>(&mut self, path: &[K]) {
        match path {
            [] => {}
            [root] => self.read_root(root.as_ref()),
            [root, child, ..] => {
                if let Some(children) = self.slot(root.as_ref()) {
                    let child = child.as_ref();
                    if !children.iter().any(|c| &**c == child) {
                        children.push(child.into());
                    }
                }
            }
        }
    }

    /// Adds everything `other` keeps.
    pub fn merge(&mut self, other: &Projection) {
        for (root, children) in &other.keys {
            match children {
                None => self.read_root(root),
                Some(children) => {
                    for c in children {
                        self.read_path(&[&**root, &**c]);
                    }
                }
            }
        }
    }

    /// The top-level keys kept, sorted.
    pub fn roots(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(k, _)| &**k)
    }

    /// How `key` is kept: `None` not at all, `Some(None)` whole, `Some(Some(keys))` only
    /// those keys of its value when that is an object.
    pub(super) fn lookup(&self, key: &str) -> Option<Option<&[Box<str>]>> {
        self.keys
            .iter()
            .find(|(k, _)| same_key(k, key))
            .map(|(_, children)| children.as_deref())
    }
}

/// `a == b`, deciding most mismatches on the length and the first byte.
pub(super) fn same_key(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_root_absorbs_narrower_reads_in_any_order() {
        let mut p = Projection::new();
        p.read_path(&["traits", "email"]);
        p.read_path(&["traits", "name", "first"]);
        p.read_path(&["traits", "email"]);
        assert_eq!(p.lookup("traits"), Some(Some(&["email".into(), "name".into()][..])));
        p.read_root("traits");
        p.read_path(&["traits", "plan"]);
        assert_eq!(p.lookup("traits"), Some(None));
        assert_eq!(p.lookup("userId"), None);
    }

    #[test]
    fn merge_keeps_what_either_keeps() {
        let mut a = Projection::of_roots(&["type"]);
        a.read_path(&["traits", "email"]);
        let mut b = Projection::new();
        b.read_path(&["traits", "plan"]);
        b.read_root("userId");
        a.merge(&b);
        assert_eq!(a.roots().collect::<Vec<_>>(), ["traits", "type", "userId"]);
        assert_eq!(a.lookup("traits"), Some(Some(&["email".into(), "plan".into()][..])));
    }
}
