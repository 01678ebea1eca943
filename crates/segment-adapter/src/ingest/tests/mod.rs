//! The ingestion endpoints over real HTTP (and, where the peer address matters, through
//! the router directly).

mod auth;
mod browser;
mod content_types;
mod endpoints;
mod errors;
mod limits;
mod props;
mod support;
mod webhook;
