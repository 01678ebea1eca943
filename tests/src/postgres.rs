//! A PostgreSQL database of its own for a test, created on the server at
//! `SEGMENT_ATTIO_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432`, trust
//! authentication) and dropped when the value is dropped.

use tokio_postgres::NoTls;

/// The server's URL, without a database.
pub fn server_url() -> String {
    std::env::var("SEGMENT_ATTIO_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

async fn admin_execute(sql: &str) -> Result<(), String> {
    let (client, connection) = tokio_postgres::connect(&format!("{}/postgres", server_url()), NoTls)
        .await
        .map_err(|e| format!("PostgreSQL at {} is not reachable: {e}", server_url()))?;
    let task = tokio::spawn(connection);
    let result = client.batch_execute(sql).await.map_err(|e| format!("{sql}: {e}"));
    drop(client);
    let _ = task.await;
    result
}

/// A freshly created, empty database.
pub struct TestDatabase {
    pub name: String,
}

impl TestDatabase {
    /// `PREFIX_PID_RANDOM`; `prefix` is lowercase letters, digits and `_`.
    pub async fn create(prefix: &str) -> TestDatabase {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!("{prefix}_{}_{nanos:08x}", std::process::id());
        admin_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("creating the test database: {e}"));
        TestDatabase { name }
    }

    /// `postgres://…/NAME`.
    pub fn url(&self) -> String {
        format!("{}/{}", server_url(), self.name)
    }

    /// A connection to it.
    pub async fn connect(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.url(), NoTls)
            .await
            .expect("connect to the test database");
        tokio::spawn(connection);
        client
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop runs inside the test's runtime: a thread of its own may block on another.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(admin_execute(&sql)).ok()
        })
        .join();
    }
}
