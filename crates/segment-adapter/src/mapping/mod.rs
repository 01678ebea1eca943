//! Mapping-kit: Segment's mapping directives (`@path`, `@if`, `@template`, ...).
