//! The mapping compiler and resolver: a mapping (JSON) and an event (JSON), separated by
//! a NUL byte; the mapping is compiled, then resolved on the event as parsed in full and as
//! parsed through the mapping's projection (both must agree).
#![no_main]

use libfuzzer_sys::fuzz_target;
use segment_adapter::json::Val;
use segment_adapter::mapping::Mapping;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (mapping, event) = text.split_once('\0').unwrap_or((text, "{}"));
    let Ok(mapping) = serde_json::from_str::<serde_json::Value>(mapping) else {
        return;
    };
    let Ok(compiled) = Mapping::parse(&mapping) else {
        return;
    };
    let Ok(full) = Val::parse(event) else {
        return;
    };
    let resolved = compiled.apply(&full).map(|value| format!("{value:?}"));
    if let Some(projection) = compiled.projection() {
        if let Ok(projected) = Val::parse_with(event, projection) {
            let from_projection = compiled.apply(&projected).map(|value| format!("{value:?}"));
            assert_eq!(
                resolved.is_ok(),
                from_projection.is_ok(),
                "projection changed the outcome: {resolved:?} vs {from_projection:?}"
            );
        }
    }
});
