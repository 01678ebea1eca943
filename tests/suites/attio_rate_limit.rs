//! The gateway's write pacing, measured at the real simulator: one `HttpAttioGateway`
//! shared (as clones) by many tasks stays under the simulator's write limit while nearly
//! reaching it, and a scripted burst of 429s holds every writer until `Retry-After`, in
//! both of its forms (HTTP date and seconds).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use attio_adapter::http::{AttioHttpConfig, HttpAttioGateway};
use attio_simulator::{Burst429, Faults, Simulator, SimulatorConfig, SimulatorHandle};
use domain::ports::AttioGateway;
use domain::{Assertion, AttributeSlug, JsonText, ObjectSlug};
use secrecy::SecretString;
use segment_attio_acceptance::pacing::pacing;

/// The simulator's request kind of `PUT /v2/objects/{object}/records/simple`.
const SIMPLE_ASSERT: &str = "assert_simple";

/// These tests measure timing on a 2-core machine; running them side by side lets one
/// test's load shift the other's arrivals, so they take turns.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

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
    let _turn = SERIAL.lock().await;
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
    // The limiter's bursts typically came one window apart, full: measured burst by burst
    // rather than over the whole span, so that a few bursts a busy machine delayed do not
    // count as a slow limiter.
    let secs: Vec<f64> = arrivals
        .iter()
        .map(|a| a.duration_since(arrivals[0]).as_secs_f64())
        .collect();
    let p = pacing(&secs, limit);
    let span = arrivals[writes - 1].duration_since(arrivals[0]);
    eprintln!(
        "typically {:.2} writes/s of {limit}/s ({writes} writes, span {span:?}): {p:?}",
        p.typical_rate
    );
    if let Err(e) = p.nearly_reaches(limit, 0.95) {
        panic!("{e}");
    }
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

    // Watches the gateway: how many writes it had let through when it first read a 429
    // (and so began to pause). Only those can arrive during the pause.
    let watcher = {
        let g = g.clone();
        tokio::spawn(async move {
            loop {
                let stats = g.stats().rate;
                if stats.rate_limited > 0 {
                    return g.stats().rate.requests_sent;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    };
    let writes = 3 * LIMIT as usize;
    drive(&g, 2 * LIMIT as usize, writes).await;
    let sent_before_the_pause = tokio::time::timeout(Duration::from_secs(5), watcher)
        .await
        .expect("the gateway saw a 429")
        .expect("watcher");

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

    // The simulator refuses the first `burst` writes to arrive: the gateway's first window.
    // Pacing lets no other write go for a second; on a machine busy enough that the
    // gateway read the first 429 later than that, the writes it had let through by then
    // may still arrive during the pause (normally none). Every other write must arrive
    // after the earliest refusal's `Retry-After` instant (the pause is shared: a writer that
    // got no 429 itself is held too).
    let arrivals = sorted_arrivals(&sim);
    assert_eq!(
        arrivals.len(),
        writes + burst as usize,
        "every refused write is sent again"
    );
    const CLOCK_TOLERANCE: Duration = Duration::from_millis(10);
    let (refused, accepted) = arrivals.split_at(burst as usize);
    let pause_end = |r: Instant| match form {
        RetryAfterForm::Seconds => r + Duration::from_secs(retry_after_secs),
        // The date is the start of the second `retry_after_secs` after the current one.
        RetryAfterForm::HttpDate => at_wall_secs(wall_secs(r).floor() + retry_after_secs as f64),
    };
    let mut longest_pause = Duration::ZERO;
    for &r in refused {
        let end = pause_end(r);
        longest_pause = longest_pause.max(end.duration_since(r));
        // Pacing alone would send the next window about one second later; the pause must be
        // longer than that for this check to mean anything.
        assert!(
            end.duration_since(r) > Duration::from_millis(1500),
            "the scripted pause must outlast one pacing window ({form:?})"
        );
    }
    let first = refused[0];
    let end = pause_end(first);
    let window_end = end.checked_sub(CLOCK_TOLERANCE).unwrap_or(end);
    let early: Vec<Duration> = accepted
        .iter()
        .filter(|a| **a < window_end)
        .map(|a| a.duration_since(first))
        .collect();
    let in_flight = (sent_before_the_pause as usize).saturating_sub(burst as usize);
    println!(
        "{form:?}: {sent_before_the_pause} writes let through before the first 429 was read; \
         {} arrived during the pause",
        early.len()
    );
    assert!(
        early.len() <= in_flight,
        "{form:?}: writes arrived {early:?} after the first 429, whose Retry-After ends {:?} after it; \
         only {in_flight} had been let through before the gateway read the 429",
        end.duration_since(first)
    );
    // Writers resume soon after the last pause ends.
    let last_end = refused.iter().map(|r| pause_end(*r)).max().expect("a refused write");
    let first_after = arrivals
        .iter()
        .find(|a| **a >= last_end.checked_sub(CLOCK_TOLERANCE).unwrap_or(last_end))
        .expect("writes after the pause");
    assert!(
        *first_after <= last_end + Duration::from_millis(1500),
        "{form:?}: writes were held {:?} past Retry-After",
        first_after.duration_since(last_end)
    );
    // The gateway counts its pause from when it read the 429, later than the 429 left the
    // server on a busy machine: at least half of the server's view is asked for.
    let paused = g.stats().rate.paused;
    assert!(
        paused >= longest_pause / 2,
        "{form:?}: the gateway recorded a pause of only {paused:?} (the longest was {longest_pause:?})"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_429_burst_with_an_http_date_holds_every_writer_until_that_date() {
    let _turn = SERIAL.lock().await;
    burst_then_writes(RetryAfterForm::HttpDate, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_429_burst_with_seconds_holds_every_writer_that_long() {
    let _turn = SERIAL.lock().await;
    burst_then_writes(RetryAfterForm::Seconds, 2).await;
}
