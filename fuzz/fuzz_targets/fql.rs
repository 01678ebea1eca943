//! The FQL parser: any text as a subscription; a parsed one is evaluated on a sample event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segment_adapter::fql::Subscription;
use segment_adapter::json::Val;

const EVENT: &str = r#"{"type":"track","event":"Order Completed","userId":"u1",
  "properties":{"total":12.5,"tags":["a","b"],"coupon":null,"nested":{"x":1}},
  "context":{"library":{"name":"analytics.js"}},"traits":{"email":"a@example.com"}}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(subscription) = Subscription::parse(text) else {
        return;
    };
    if let Ok(event) = Val::parse(EVENT) {
        let _ = subscription.matches(&event);
    }
    let _ = subscription.referenced_roots();
    let _ = subscription.projection();
});
