//! Segment-compatible HTTP ingestion.
