//! Throw-away PostgreSQL databases for the tests: each test creates its own (so that
//! suites run in parallel) on the server of `SEGMENT_ATTIO_TEST_PG` (default
//! `postgres://postgres@127.0.0.1:5432`), and drops it when done.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio_postgres::NoTls;

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// The server the tests use, without a database name.
pub fn server() -> String {
    std::env::var("SEGMENT_ATTIO_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

async fn admin() -> tokio_postgres::Client {
    let url = format!("{}/postgres", server());
    let (client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap_or_else(|error| {
        panic!(
            "PostgreSQL is not reachable at {} ({error}); start it (.ci/run does) or set SEGMENT_ATTIO_TEST_PG",
            server()
        )
    });
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// A database created for one test, dropped (with its connections) when this is dropped.
pub struct TempDatabase {
    name: String,
}

impl TempDatabase {
    /// Creates `sa_<suite>_<pid>_<n>`.
    pub async fn create(suite: &str) -> TempDatabase {
        let name = format!(
            "sa_{suite}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let client = admin().await;
        for statement in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            client
                .batch_execute(&statement)
                .await
                .unwrap_or_else(|error| panic!("creating the test database {name}: {error:?}"));
        }
        TempDatabase { name }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL of this database, for `spool.url`.
    pub fn url(&self) -> String {
        format!("{}/{}", server(), self.name)
    }

    /// Drops the database now, closing every connection to it (a database lost under a
    /// running service).
    pub async fn drop_now(&self) {
        admin()
            .await
            .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
            .await
            .unwrap_or_else(|error| panic!("dropping {}: {error:?}", self.name));
    }

    /// A connection to this database, for checks of its tables.
    pub async fn connect(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.url(), NoTls)
            .await
            .unwrap_or_else(|error| panic!("connecting to {}: {error:?}", self.name));
        tokio::spawn(async move {
            let _ = connection.await;
        });
        client
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        let name = std::mem::take(&mut self.name);
        // A runtime of its own: the test's may be shutting down.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let client = admin().await;
                client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("could not drop a test database");
        }
    }
}
