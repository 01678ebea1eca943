//! The attribute value parsers: the first byte picks one of the 17 attribute types and
//! whether it is multiselect, the rest is the JSON value to write.
#![no_main]

use domain::value::{parse_write, AttributeSpec, AttributeType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(rest) else {
        return;
    };
    let attribute_type = AttributeType::ALL[usize::from(selector) % AttributeType::ALL.len()];
    let mut spec = AttributeSpec::new("fuzzed", attribute_type);
    spec.is_multiselect = selector & 0x80 != 0;
    if selector & 0x40 != 0 {
        spec.default_currency_code = Some("USD");
    }
    let targets = ["companies", "people"];
    if selector & 0x20 != 0 {
        spec.allowed_targets = &targets;
    }
    let _ = parse_write(&spec, &value);
});
