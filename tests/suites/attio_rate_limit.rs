//! The gateway's write pacing, measured at the real simulator: one `HttpAttioGateway`
//! shared (as clones) by many tasks stays under the simulator's write limit while nearly
//! reaching it, and a scripted burst of 429s holds every writer until `Retry-After`, in
//! both of its forms (HTTP date and seconds).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use attio_adapter::http::{AttioHttpConfig, HttpAttioGateway};
use attio_adapter::simulator::{Burst429, Faults, Simulator, SimulatorConfig, SimulatorHandle};
use domain::ports::AttioGateway;
use domain::{Assertion, AttributeSlug, JsonText, ObjectSlug};
use secrecy::SecretString;

/// The simulator's request kind of `PUT /v2/objects/{object}/records/simple`.
const SIMPLE_ASSERT: &str = "assert_simple";

fn person(n: usize) -> Assertion<'static> {
    let mut a = Assertion::new(ObjectSlug::PEOPLE, AttributeSlug::EMAIL_ADDRESSES);
    a.set_json("email_addresses", JsonText::string(&format!("writer-{n}@example.com")));
    a
}

/// A gateway to `sim` whose write limit is `write_rate`, as the service would build it.
fn gateway(sim: &SimulatorHandle, write_rate: u32) -> HttpAttioGateway {
    let mut config = AttioHttpConfig::new(SecretString::from("rate-limit-suite-token")).with_base_url(sim.base_url());
    config.write_rate = write_rate;
    HttpAttioGateway::new(config).expect("a valid gateway configuration")
}

/// `writes` distinct people asserted by `tasks` tasks, each holding a clone of `gateway`
/// and taking the next write number until none is left.
async fn drive(gateway: &HttpAttioGateway, tasks: usize, writes: usize) {
    let next = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let g = gateway.clone();
            let next = next.clone();
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= writes {
                        return;
                    }
                    if let Err(e) = g.simple_assert(&person(n), None).await {
                        panic!("write {n} failed: {e}");
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.await.expect("writer task");
    }
}

fn sorted_arrivals(sim: &SimulatorHandle) -> Vec<Instant> {
    let mut arrivals = sim.write_arrivals();
    arrivals.sort();
    arrivals
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_shared_gateway_stays_under_the_write_limit_and_nearly_reaches_it() {
    let sim_config = SimulatorConfig::default();
    let limit = sim_config.write_rate as usize;
    assert!(limit > 0, "the simulator's default must limit writes");
    let sim = Simulator::start(sim_config).await.expect("simulator starts");
    let g = gateway(&sim, limit as u32);

    // Five windows' worth, far more writers than the limit.
    let writes = 5 * limit;
    drive(&g, 2 * limit, writes).await;

    let stats = sim.stats();
    assert_eq!(stats.rate_limited, 0, "the simulator answered 429: {stats:?}");
    assert_eq!(stats.count("PUT", SIMPLE_ASSERT, 200), writes as u64, "{stats:?}");
    assert_eq!(sim.records("people").len(), writes);
    assert_eq!(g.stats().rate.rate_limited, 0);

    let arrivals = sorted_arrivals(&sim);
    assert_eq!(arrivals.len(), writes);
    // A limit of `limit` per second allows a first burst of `limit` writes at once; each
    // further `limit` writes need one more second. So the writes after the first `limit`
    // measure the achieved rate over the span from the first arrival to the last.
    let span = arrivals[writes - 1].duration_since(arrivals[0]);
    let achieved = (writes - limit) as f64 / span.as_secs_f64();
    eprintln!("achieved {achieved:.2} writes/s of {limit}/s ({writes} writes, span {span:?})");
    assert!(
        achieved >= 0.95 * limit as f64,
        "achieved {achieved:.2} writes/s, less than 95% of {limit}/s (span {span:?})"
    );
    sim.shutdown().await;
}

/// How the scripted 429s state `Retry-After`.
#[derive(Clone, Copy, Debug)]
enum RetryAfterForm {
    HttpDate,
    Seconds,
}

/// Scripts a burst of 429s as long as the gateway's whole first window, drives three
/// windows of writes through one shared gateway, and checks at the simulator that no
/// write arrived between the refused ones and the `Retry-After` instant, and that the
/// writers resumed soon after it.
async fn burst_then_writes(form: RetryAfterForm, retry_after_secs: u64) {
    const LIMIT: u32 = 10;
    let burst = LIMIT;
    let sim = Simulator::start(SimulatorConfig {
        write_rate: LIMIT,
        faults: Faults {
            burst_429: Some(Burst429 {
                count: burst,
                retry_after_secs,
                seconds_form: matches!(form, RetryAfterForm::Seconds),
            }),
            ..Faults::default()
        },
        ..SimulatorConfig::default()
    })
    .await
    .expect("simulator starts");
    let g = gateway(&sim, LIMIT);
    // One pair of readings to place the simulator's monotonic arrival instants on the
    // wall clock the HTTP date is written in.
    let (mono0, wall0) = (Instant::now(), SystemTime::now());
    let wall_secs = |at: Instant| {
        let wall = wall0 + at.duration_since(mono0);
        wall.duration_since(UNIX_EPOCH).expect("after 1970").as_secs_f64()
    };
    let at_wall_secs = |secs: f64| {
        mono0 + Duration::from_secs_f64(secs - wall0.duration_since(UNIX_EPOCH).expect("after 1970").as_secs_f64())
    };

    let writes = 3 * LIMIT as usize;
    drive(&g, 2 * LIMIT as usize, writes).await;

    let stats = sim.stats();
    assert_eq!(
        stats.rate_limited,
        u64::from(burst),
        "only the scripted 429s: {stats:?}"
    );
    assert_eq!(stats.count("PUT", SIMPLE_ASSERT, 429), u64::from(burst));
    assert_eq!(stats.count("PUT", SIMPLE_ASSERT, 200), writes as u64, "{stats:?}");
    assert_eq!(sim.records("people").len(), writes);
    assert_eq!(g.stats().rate.rate_limited, u64::from(burst));

    // The gateway lets its first window of `LIMIT` writes go at once, so those are the
    // ones the burst refused; the gateway cannot send another before its next window.
    let arrivals = sorted_arrivals(&sim);
    assert_eq!(
        arrivals.len(),
        writes + burst as usize,
        "every refused write is sent again"
    );
    let last_refused = arrivals[burst as usize - 1];
    let first_after = arrivals[burst as usize];
    // Each refusal was answered after its arrival, so the pause it imposed ends no
    // earlier than what `Retry-After` says counted from that arrival.
    let (lower, upper) = match form {
        RetryAfterForm::Seconds => {
            let lower = last_refused + Duration::from_secs(retry_after_secs);
            (lower, lower)
        }
        RetryAfterForm::HttpDate => {
            // The date is the start of the second `retry_after_secs` after the current one.
            let date = wall_secs(last_refused).floor() + retry_after_secs as f64;
            let lower = at_wall_secs(date) - Duration::from_millis(2); // clock reading jitter
            (lower, at_wall_secs(date + 1.0))
        }
    };
    eprintln!(
        "{form:?}: last refused write, then the next after {:?} (Retry-After bound {:?})",
        first_after.duration_since(last_refused),
        lower.duration_since(last_refused)
    );
    // Pacing alone would send the next window about one second after the first; the pause
    // must hold every writer longer than that.
    assert!(
        lower.duration_since(last_refused) > Duration::from_millis(1500),
        "the scripted pause must outlast one pacing window ({form:?})"
    );
    assert!(
        first_after >= lower,
        "{form:?}: a write arrived {:?} before Retry-After",
        lower.duration_since(first_after)
    );
    assert!(
        first_after <= upper + Duration::from_millis(500),
        "{form:?}: writes were held {:?} past Retry-After",
        first_after.duration_since(upper)
    );
    let paused = g.stats().rate.paused;
    assert!(
        paused >= lower.duration_since(last_refused) - Duration::from_millis(200),
        "{form:?}: the gateway recorded a pause of only {paused:?}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_429_burst_with_an_http_date_holds_every_writer_until_that_date() {
    burst_then_writes(RetryAfterForm::HttpDate, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_429_burst_with_seconds_holds_every_writer_that_long() {
    burst_then_writes(RetryAfterForm::Seconds, 2).await;
}
