//! Several instances on one PostgreSQL spool: three `serve` processes share one database,
//! one configuration and one Attio simulator with Attio-like limits. Load goes to all three;
//! one is killed (SIGKILL) mid-load and started again later. Every acknowledged event is
//! delivered, the last update of each record wins, the simulator never answers 429, and the
//! instances together keep to the write rate.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use segment_attio_acceptance::pg::TempDatabase;
use segment_attio_acceptance::service::{first_value, http_client, Service, ServiceBuilder, SimulatorProcess};
use serde_json::{json, Value};

const RECORDS: usize = 20;
const UPDATES: usize = 4;
/// Writes per second the simulator allows the token, and the service is told.
const WRITE_RATE: usize = 10;
const TOKEN: &str = "multi-instance-token";

fn config(db: &TempDatabase) -> String {
    format!(
        r#"
[spool]
url = "{url}"
lease_secs = 2

[attio]
write_rate = {WRITE_RATE}
read_rate = 50

[[subscriptions]]
name = "titles"
action = "assertRecord"
subscribe = 'type = "identify"'
mapping = {{ object = "people", matching_attribute = "email_addresses", attributes = {{ email_addresses = {{ "@path" = "$.traits.email" }}, job_title = {{ "@path" = "$.traits.title" }} }} }}
"#,
        url = db.url()
    )
}

/// Sends `UPDATES` acknowledged updates of record `r`, one after the other, to the
/// instances in turn; an update that is not acknowledged is sent again as a newer one.
/// Returns the title of the last acknowledged update.
async fn update_record(r: usize, urls: Arc<Mutex<Vec<String>>>, unacknowledged: Arc<Mutex<usize>>) -> String {
    let http = http_client();
    let mut attempt = 0usize;
    let mut last = String::new();
    for _ in 0..UPDATES {
        loop {
            attempt += 1;
            let title = format!("v{attempt}");
            let target = {
                let urls = urls.lock().expect("urls");
                urls[(r + attempt) % urls.len()].clone()
            };
            let event = json!({"type": "identify", "userId": format!("rec-{r}"), "messageId": format!("rec-{r}-{attempt}"),
                "traits": {"email": format!("rec-{r}@example.com"), "title": title}});
            let ok = matches!(
                http.post(format!("{target}/v1/identify")).json(&event).send().await,
                Ok(resp) if resp.status() == 200
            );
            if ok {
                last = title;
                break;
            }
            *unacknowledged.lock().expect("count") += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last
}

/// The most writes any window of `window` holds.
fn busiest_window(arrivals_ms: &[f64], window_ms: f64) -> usize {
    let mut best = 0;
    let mut j = 0;
    for i in 0..arrivals_ms.len() {
        while j < arrivals_ms.len() && arrivals_ms[j] < arrivals_ms[i] + window_ms {
            j += 1;
        }
        best = best.max(j - i);
    }
    best
}

async fn restart_victim(instances: &mut [Service], victim: usize, urls: &Mutex<Vec<String>>) {
    let restarted = instances[victim].builder().start().await;
    urls.lock().expect("urls")[victim].clone_from(&restarted.base_url);
    instances[victim] = restarted;
}

async fn drain_all(instances: &[Service]) {
    let deadline = Instant::now() + Duration::from_secs(40);
    while pending_everywhere(instances).await > 0 {
        assert!(Instant::now() < deadline, "the spool did not drain within 40 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn pending_everywhere(instances: &[Service]) -> u64 {
    let mut pending = 0;
    // One database: any running instance counts every partition's events.
    for s in instances.iter().filter(|s| s.pid().is_some()) {
        let (p, _) = s.spool_counts().await;
        pending = pending.max(p);
    }
    pending
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_on_one_postgres_deliver_everything_in_order_within_the_rate_despite_a_kill() {
    proof(Restart::AfterTheBacklog).await;
}

/// The same with the killed instance back while the backlog waits for the rate limit: the
/// partitions handed over to it are still being sent by their previous owners (events
/// they read wait for rate-limit slots longer than the one lease a hand-over waits), so a
/// record's older update can reach Attio after its newer one. Run it with `--ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_keep_per_record_order_when_the_killed_one_rejoins_under_a_rate_limited_backlog() {
    proof(Restart::DuringTheBacklog).await;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Restart {
    /// Once the backlog is delivered; then one more update of every record goes to it.
    AfterTheBacklog,
    DuringTheBacklog,
}

async fn proof(restart: Restart) {
    let t = Instant::now();
    let db = TempDatabase::create("multi_proof").await;
    let rate = WRITE_RATE.to_string();
    let sim = SimulatorProcess::start_with(&["--token", TOKEN, "--write-rate", &rate, "--read-rate", "50"]).await;
    let builder = ServiceBuilder::new().attio(&sim).token(TOKEN).config(&config(&db));
    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(builder.clone().start().await);
    }
    println!("three instances started in {:?}", t.elapsed());
    let urls = Arc::new(Mutex::new(
        instances.iter().map(|s| s.base_url.clone()).collect::<Vec<_>>(),
    ));
    let unacknowledged = Arc::new(Mutex::new(0usize));
    let started = Instant::now();
    let senders: Vec<_> = (0..RECORDS)
        .map(|r| tokio::spawn(update_record(r, urls.clone(), unacknowledged.clone())))
        .collect();

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let victim = 1;
    let pending_at_kill = pending_everywhere(&instances).await;
    instances[victim].kill();
    println!(
        "instance {victim} killed at {:?} with {pending_at_kill} event(s) pending",
        started.elapsed()
    );
    if restart == Restart::DuringTheBacklog {
        tokio::time::sleep(Duration::from_secs(3)).await;
        restart_victim(&mut instances, victim, &urls).await;
        println!("instance {victim} restarted at {:?}", started.elapsed());
    }
    let mut expected = Vec::new();
    for s in senders {
        expected.push(s.await.expect("a sender finished"));
    }
    let load = started.elapsed();
    let drained = Instant::now();
    drain_all(&instances).await;
    let mut drain = drained.elapsed();
    if restart == Restart::AfterTheBacklog {
        restart_victim(&mut instances, victim, &urls).await;
        println!("instance {victim} restarted at {:?}", started.elapsed());
        // Two leases: the others hand it its share of the partitions.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let http = http_client();
        let url = instances[victim].base_url.clone();
        for (r, title) in expected.iter_mut().enumerate() {
            let next = format!("final-{r}");
            let event = json!({"type": "identify", "userId": format!("rec-{r}"), "messageId": next,
                "traits": {"email": format!("rec-{r}@example.com"), "title": next}});
            let resp = http
                .post(format!("{url}/v1/identify"))
                .json(&event)
                .send()
                .await
                .expect("the restarted instance answers");
            assert_eq!(resp.status(), 200, "the restarted instance accepts events");
            *title = next;
        }
        let again = Instant::now();
        drain_all(&instances).await;
        drain += again.elapsed();
    }

    let people = sim.records("people").await.expect("the simulator's people");
    let title_of = |r: usize| {
        let email = format!("rec-{r}@example.com");
        people
            .iter()
            .find(|p| {
                p.pointer("/values/email_addresses/0/email_address")
                    .and_then(Value::as_str)
                    == Some(&email)
            })
            .and_then(|p| first_value(p, "job_title"))
            .and_then(|v| v.get("value"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let wrong: Vec<String> = (0..RECORDS)
        .filter(|r| title_of(*r).as_deref() != Some(expected[*r].as_str()))
        .map(|r| format!("rec-{r}: {:?}, last acknowledged {}", title_of(r), expected[r]))
        .collect();
    let stats = sim.stats().await;
    let arrivals: Vec<f64> = stats["write_arrivals_ms"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    let busiest = busiest_window(&arrivals, 1000.0);
    let mut gaps: Vec<f64> = arrivals.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort_by(f64::total_cmp);
    println!("shortest gaps between writes (ms): {:?}", &gaps[..gaps.len().min(8)]);
    let span_s = match (arrivals.first(), arrivals.last()) {
        (Some(a), Some(b)) if b > a => (b - a) / 1000.0,
        _ => 0.0,
    };
    let (_, dead) = instances[0].spool_counts().await;
    println!(
        "{:?} since the start; load {load:?}, drain {drain:?}; {} writes in {span_s:.1} s ({:.1}/s), busiest second {busiest} (limit {WRITE_RATE}), \
         429s {}, unacknowledged sends {}, people {}, dead letters {dead}",
        t.elapsed(),
        arrivals.len(),
        arrivals.len() as f64 / span_s.max(0.001),
        stats["rate_limited"],
        unacknowledged.lock().map(|u| *u).unwrap_or(0),
        people.len(),
    );

    assert!(
        pending_at_kill > 0,
        "the kill landed while nothing was pending: it proves nothing"
    );
    assert!(
        wrong.is_empty(),
        "records whose last acknowledged update did not win: {wrong:?}"
    );
    assert_eq!(people.len(), RECORDS, "one person per record");
    assert_eq!(dead, 0, "no event should be dead-lettered");
    assert_eq!(stats["rate_limited"], json!(0), "the simulator answered 429");
    assert!(
        busiest <= WRITE_RATE,
        "{busiest} writes within one second; the limit is {WRITE_RATE}"
    );
    let achieved = arrivals.len() as f64 / span_s.max(0.001);
    assert!(
        achieved <= WRITE_RATE as f64,
        "{achieved:.2} writes/s on average; the limit is {WRITE_RATE}"
    );
    assert!(
        arrivals.len() > 2 * WRITE_RATE,
        "too few writes ({}) for the rate limit to matter",
        arrivals.len()
    );
}

/// The `instance` label of `segment_attio_instance_info` in a `/metrics` text, checking
/// the other labels on the way.
fn instance_label(metrics: &str, listen: &str) -> String {
    let line = metrics
        .lines()
        .find(|l| l.starts_with("segment_attio_instance_info{"))
        .unwrap_or_else(|| panic!("no segment_attio_instance_info in /metrics:\n{metrics}"));
    assert!(line.ends_with("} 1"), "{line}");
    assert!(line.contains(&format!("listen=\"{listen}\"")), "{line}");
    assert!(line.contains("spool=\"postgres\""), "{line}");
    line.split("instance=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an instance label")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_instance_names_itself_in_its_metrics_and_is_not_ready_while_the_database_is_unreachable() {
    let db = TempDatabase::create("multi_ready").await;
    let config = format!("[spool]\nurl = \"{}\"\nlease_secs = 2\n", db.url());
    let builder = ServiceBuilder::new().config(&config);
    let first = builder.clone().start().await;
    let second = builder.clone().start().await;

    let (_, metrics_a) = first.get_text("/metrics").await;
    let (_, metrics_b) = second.get_text("/metrics").await;
    let a = instance_label(&metrics_a, &first.addr.to_string());
    let b = instance_label(&metrics_b, &second.addr.to_string());
    assert_ne!(a, b, "two instances with one id");
    // The id is the one the instance holds its partitions under (the second one gets its
    // share within a few lease renewals).
    let leases = db.connect().await;
    let (leases, a_ref, b_ref) = (&leases, &a, &b);
    segment_attio_acceptance::service::eventually(
        "both instances to hold partitions",
        Duration::from_secs(20),
        || async move {
            let owners: Vec<String> = leases
                .query(
                    "SELECT DISTINCT owner FROM partition_leases WHERE owner IS NOT NULL",
                    &[],
                )
                .await
                .map_err(|e| e.to_string())?
                .iter()
                .map(|row| row.get(0))
                .collect();
            if owners.contains(a_ref) && owners.contains(b_ref) {
                Ok(())
            } else {
                Err(format!("{a_ref}, {b_ref} not both among the owners {owners:?}"))
            }
        },
    )
    .await;
    assert_eq!(first.get_json("/readyz").await.0, 200);

    // The database refuses every connection: not ready, saying why.
    let admin = |sql: String| async move {
        let (client, connection) = tokio_postgres::connect(
            &format!("{}/postgres", segment_attio_acceptance::pg::server()),
            tokio_postgres::NoTls,
        )
        .await
        .expect("connect to the server");
        tokio::spawn(connection);
        client.batch_execute(&sql).await.expect("admin statement");
    };
    admin(format!(
        "ALTER DATABASE {0} WITH ALLOW_CONNECTIONS false; \
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{0}' AND pid <> pg_backend_pid()",
        db.name()
    ))
    .await;
    let reasons =
        segment_attio_acceptance::service::eventually("/readyz to answer 503", Duration::from_secs(10), || async {
            match first.get_json("/readyz").await {
                (503, body) => Ok(body["reasons"].to_string()),
                (code, body) => Err(format!("{code} {body}")),
            }
        })
        .await;
    assert!(reasons.contains("spool"), "{reasons}");
    assert!(!reasons.contains("postgres://"), "the reasons show the URL: {reasons}");

    admin(format!("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true", db.name())).await;
    segment_attio_acceptance::service::eventually("/readyz to answer 200 again", Duration::from_secs(15), || async {
        match first.get_json("/readyz").await {
            (200, _) => Ok(()),
            (code, body) => Err(format!("{code} {body}")),
        }
    })
    .await;
}
