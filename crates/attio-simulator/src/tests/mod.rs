//! Tests over real HTTP against a running simulator.

mod assert;
mod batch;
mod coalesce;
mod endpoints;
mod limits;
mod lists_notes;

use serde_json::Value;

use super::{Simulator, SimulatorConfig, SimulatorHandle};

pub const TOKEN: &str = "test-token";

pub async fn start(config: SimulatorConfig) -> SimulatorHandle {
    Simulator::start(SimulatorConfig {
        tokens: vec![TOKEN.into()],
        ..config
    })
    .await
    .expect("simulator starts")
}

/// No rate limits.
pub async fn start_unlimited() -> SimulatorHandle {
    start(SimulatorConfig {
        write_rate: 0,
        read_rate: 0,
        ..SimulatorConfig::default()
    })
    .await
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

pub async fn call(sim: &SimulatorHandle, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = client()
        .request(method, format!("{}{path}", sim.base_url()))
        .bearer_auth(TOKEN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request sent");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub async fn simple(sim: &SimulatorHandle, object: &str, matching: &str, values: Value) -> (u16, Value) {
    call(
        sim,
        reqwest::Method::PUT,
        &format!("/v2/objects/{object}/records/simple?matching_attribute={matching}&append_to_existing_values=true"),
        Some(serde_json::json!({"data": {"values": values}})),
    )
    .await
}

pub async fn assert_record(sim: &SimulatorHandle, object: &str, matching: &str, values: Value) -> (u16, Value) {
    call(
        sim,
        reqwest::Method::PUT,
        &format!("/v2/objects/{object}/records?matching_attribute={matching}"),
        Some(serde_json::json!({"data": {"values": values}})),
    )
    .await
}

/// The type-specific field `field` of each value of `slug`.
pub fn field(record: &Value, slug: &str, field: &str) -> Vec<Value> {
    record["values"][slug]
        .as_array()
        .map(|a| a.iter().map(|v| v[field].clone()).collect())
        .unwrap_or_default()
}
