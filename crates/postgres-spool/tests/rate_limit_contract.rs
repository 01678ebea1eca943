//! The rate limiter contract (`attio_adapter::http::rate_limit_contract`) on PostgreSQL:
//! each "instance" is its own `PostgresRateLimiters` with its own pool, as separate
//! processes would be, on one freshly created database.
//!
//! Needs PostgreSQL at `SEGMENT_ATTIO_TEST_PG` (default
//! `postgres://postgres@127.0.0.1:5432`, trust authentication).

use std::sync::Arc;

use attio_adapter::http::rate_limit_contract as contract;
use attio_adapter::http::{RateLimitKey, RateLimiters};
use postgres_spool::PostgresRateLimiters;
use tokio_postgres::NoTls;

fn server() -> String {
    std::env::var("SEGMENT_ATTIO_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// A database of its own, dropped when the test ends.
struct TestDatabase {
    name: String,
}

async fn admin() -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&format!("{}/postgres", server()), NoTls)
        .await
        .expect("PostgreSQL is reachable (SEGMENT_ATTIO_TEST_PG)");
    tokio::spawn(connection);
    client
}

impl TestDatabase {
    async fn create() -> Self {
        let name = format!("multi_rl_{}_{:08x}", std::process::id(), rand::random::<u32>());
        admin()
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the test database");
        Self { name }
    }

    fn url(&self) -> String {
        format!("{}/{}", server(), self.name)
    }

    async fn drop_it(self) {
        admin()
            .await
            .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
            .await
            .expect("drop the test database");
    }
}

async fn instances(db: &TestDatabase, n: usize) -> Vec<Arc<dyn RateLimiters>> {
    let mut out: Vec<Arc<dyn RateLimiters>> = Vec::new();
    for _ in 0..n {
        out.push(Arc::new(
            PostgresRateLimiters::connect(&db.url()).await.expect("connect"),
        ));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_on_postgres_keep_to_the_rate_together_and_use_most_of_it() {
    let db = TestDatabase::create().await;
    contract::instances_together_keep_to_the_rate_and_use_most_of_it(
        &instances(&db, 3).await,
        &RateLimitKey::from_digest("k1"),
    )
    .await;
    db.drop_it().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_seen_by_one_instance_on_postgres_pauses_the_others() {
    let db = TestDatabase::create().await;
    contract::a_429_seen_by_one_instance_pauses_the_others(&instances(&db, 2).await, &RateLimitKey::from_digest("k2"))
        .await;
    db.drop_it().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn different_tokens_on_postgres_are_paced_apart() {
    let db = TestDatabase::create().await;
    contract::different_keys_are_paced_apart(
        &instances(&db, 2).await,
        &RateLimitKey::from_digest("k3"),
        &RateLimitKey::from_digest("k4"),
    )
    .await;
    db.drop_it().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_holds_the_digest_never_the_token() {
    let db = TestDatabase::create().await;
    let token = secrecy::SecretString::from("attio_pat_never_stored");
    let key = attio_adapter::http::limit_key("http://127.0.0.1:1", &token);
    let limiters = instances(&db, 1).await;
    let limiter = limiters[0].limiter(&key, 10, 10);
    limiter.acquire(attio_adapter::http::RequestClass::Write).await;
    limiter
        .rate_limited(
            attio_adapter::http::RequestClass::Write,
            std::time::Duration::from_millis(10),
        )
        .await;
    let (client, connection) = tokio_postgres::connect(&db.url(), NoTls).await.expect("connect");
    tokio::spawn(connection);
    let rows = client
        .query("SELECT key, class FROM attio_rate_limits", &[])
        .await
        .expect("read the table");
    assert_eq!(rows.len(), 1);
    let stored: String = rows[0].get(0);
    assert_eq!(stored, key.as_str());
    assert!(!stored.contains("never_stored"));
    drop(client);
    db.drop_it().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_far_above_attio_s_never_holds_requests_back() {
    // Slots microseconds apart are all "late" by the time a task wakes up: they must still
    // be used, or the limiter would drop them for ever.
    let db = TestDatabase::create().await;
    let limiters = instances(&db, 1).await;
    let limiter = limiters[0].limiter(&RateLimitKey::from_digest("k5"), 100_000, 100_000);
    let t0 = std::time::Instant::now();
    for _ in 0..200 {
        limiter.acquire(attio_adapter::http::RequestClass::Read).await;
    }
    assert!(t0.elapsed() < std::time::Duration::from_secs(5), "{:?}", t0.elapsed());
    db.drop_it().await;
}
