//! The ingestion body parser: any bytes, as a batch envelope or as one event.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let _ = segment_adapter::ingest::fuzz_parse_body(body, mode & 1 == 1);
});
