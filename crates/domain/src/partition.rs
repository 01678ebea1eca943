//! Which partition of a shared queue an event belongs to: a stable hash of the identity
//! whose records it writes (`groupId` for a group event, else `userId`, else
//! `anonymousId`), so that the events of one identity share a partition and are delivered
//! in acceptance order by the one instance that owns it.

/// The identity key an event is partitioned by, if it has one.
pub fn identity_key(payload: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(payload).ok()?;
    let text = |key: &str| match value.get(key) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let group = matches!(value.get("type"), Some(serde_json::Value::String(t)) if t == "group");
    let ordered: [&str; 3] = if group {
        ["groupId", "userId", "anonymousId"]
    } else {
        ["userId", "anonymousId", "groupId"]
    };
    ordered
        .into_iter()
        .find_map(|key| text(key).map(|found| format!("{key}:{found}")))
}

/// The partition (in `0..partitions`) of an event's JSON text. Events without an identity
/// (or not JSON) go to partition 0. `partitions` of 0 is taken as 1.
pub fn partition_of(payload: &str, partitions: u32) -> u32 {
    let partitions = partitions.max(1);
    match identity_key(payload) {
        Some(key) => (fnv1a(key.as_bytes()) % u64::from(partitions)) as u32,
        None => 0,
    }
}

/// FNV-1a, 64 bits: stable across builds and platforms (unlike std's hasher).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_of_one_user_share_a_partition() {
        let a = partition_of(r#"{"type":"identify","userId":"u-1","traits":{"a":1}}"#, 64);
        let b = partition_of(r#"{"type":"track","userId":"u-1","event":"x"}"#, 64);
        assert_eq!(a, b);
        assert!(a < 64);
    }

    #[test]
    fn a_group_event_is_partitioned_by_its_group() {
        assert_eq!(
            identity_key(r#"{"type":"group","userId":"u-1","groupId":"g-1"}"#).as_deref(),
            Some("groupId:g-1")
        );
        assert_eq!(
            identity_key(r#"{"type":"identify","anonymousId":"a-1"}"#).as_deref(),
            Some("anonymousId:a-1")
        );
    }

    #[test]
    fn the_hash_is_stable_across_builds() {
        // FNV-1a of "userId:u-1"; a change here would move waiting events between
        // partitions on upgrade.
        assert_eq!(
            fnv1a(b"userId:u-1") % 64,
            partition_of(r#"{"userId":"u-1"}"#, 64) as u64
        );
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn users_spread_over_the_partitions() {
        let mut seen = std::collections::HashSet::new();
        for n in 0..1000 {
            seen.insert(partition_of(&format!(r#"{{"userId":"user-{n}"}}"#, n = n), 64));
        }
        assert!(seen.len() > 56, "only {} partitions used", seen.len());
    }

    #[test]
    fn an_event_without_identity_goes_to_partition_zero() {
        assert_eq!(partition_of("not json", 64), 0);
        assert_eq!(partition_of(r#"{"type":"track"}"#, 64), 0);
        assert_eq!(partition_of(r#"{"userId":"x"}"#, 0), 0);
    }
}
