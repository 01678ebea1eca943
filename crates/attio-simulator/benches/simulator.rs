//! Throughput of the simulator's `/records/simple` assert over loopback, rate limits off.
//!
//! `cargo bench -p segment-attio-simulator --bench simulator` (optionally followed by
//! `-- REQUESTS CONNECTIONS`). Prints asserts per second.

use std::time::Instant;

use attio_simulator::{Simulator, SimulatorConfig};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let requests: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let connections: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(32);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(requests, connections));
}

async fn run(requests: usize, connections: usize) {
    let sim = Simulator::start(SimulatorConfig {
        write_rate: 0,
        read_rate: 0,
        ..SimulatorConfig::default()
    })
    .await
    .expect("simulator");
    let addr = sim.addr();
    let per_conn = requests / connections;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..connections {
        tasks.push(tokio::spawn(async move {
            let stream = TcpStream::connect(addr).await.expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            let (mut send, conn) = http1::handshake(TokioIo::new(stream)).await.expect("handshake");
            tokio::spawn(conn);
            let mut failures = 0usize;
            for i in 0..per_conn {
                // Half of the asserts create a person, half update one created earlier.
                let n = if i % 2 == 0 { i } else { i - 1 };
                let body = format!(
                    r#"{{"data":{{"values":{{"email_addresses":"p{c}-{n}@example.com","job_title":"T{i}"}}}}}}"#
                );
                let req = hyper::Request::put(
                    "/v2/objects/people/records/simple?matching_attribute=email_addresses&append_to_existing_values=true",
                )
                .header("host", "127.0.0.1")
                .header("authorization", "Bearer bench")
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(body)))
                .expect("request");
                let resp = send.send_request(req).await.expect("response");
                if resp.status() != 200 {
                    failures += 1;
                }
                resp.into_body().collect().await.expect("body");
            }
            failures
        }));
    }
    let mut failures = 0;
    for t in tasks {
        failures += t.await.expect("task");
    }
    let elapsed = start.elapsed();
    let done = per_conn * connections;
    println!(
        "simple asserts: {done} over {connections} connections in {:.2} s = {:.0} asserts/s ({failures} non-200); people records: {}",
        elapsed.as_secs_f64(),
        done as f64 / elapsed.as_secs_f64(),
        sim.records("people").len()
    );
    sim.shutdown().await;
}
