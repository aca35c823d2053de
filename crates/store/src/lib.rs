//! Steward's storage: one schema and one query layer for SQLite (embedded, the default) and
//! PostgreSQL (several nodes), migrations, repositories, full-text search and the
//! content-addressed blob store for attachments.
//!
//! It owns SQL and files; it must not hold business rules. Repositories take a connection or a
//! transaction so the engine can put a change and its events in one commit. The few places
//! where the two databases need different SQL live side by side in `dialect`.

pub mod automations;
pub mod blobs;
pub mod calendars;
pub mod chat;
pub mod conversations;
pub mod customers;
pub mod deflections;
pub mod dialect;
pub mod email;
pub mod error;
pub mod events;
pub mod exports;
pub mod feedback;
pub mod fields;
pub mod forms;
pub mod idempotency;
pub mod imap;
pub mod inboxes;
pub mod jobs;
pub mod kb;
pub mod macros;
pub mod messages;
pub mod models;
pub mod notify;
pub mod nps;
pub mod portal;
pub mod report_schedules;
pub mod reports;
pub mod routing;
pub mod schema;
mod schema_chat;
mod schema_kb;
mod schema_measurement;
mod schema_portal;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod sla;
pub mod sql;
pub mod surveys;
pub mod tags;
pub mod tasks;
pub mod text_index;
pub mod users;
pub mod webhooks;
mod writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use dialect::Backend;
pub use error::StoreError;
pub use sqlx::Error as SqlxError;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions};
use std::sync::Arc;
use writer::GroupWriter;
pub use writer::{Tx, WriteStats};
/// A connection (or transaction) on either backend.
pub type Conn = sqlx::AnyConnection;
pub type Result<T> = std::result::Result<T, StoreError>;

/// The database and the data folder, opened once at start-up and shared by everything.
#[derive(Clone)]
pub struct Store {
    reader: AnyPool,
    writer: WritePath,
    backend: Backend,
    /// The database URL, for the connection that listens for notifications.
    url: std::sync::Arc<str>,
    pub blobs: blobs::BlobStore,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

/// Where writes go: PostgreSQL's pool, or SQLite's one group-committing connection.
#[derive(Clone)]
enum WritePath {
    Pool(AnyPool),
    Group(Arc<GroupWriter>),
}

/// Set on every SQLite connection. `synchronous=FULL`: a commit is on disk before it returns.
/// `mmap_size`: pages are read from the OS page cache in place, without a `pread` and a copy
/// each (the mapping costs address space, not memory; pages are shared by all connections).
/// `temp_store=MEMORY`: a savepoint's copies of the pages it changes (its sub-journal) stay in
/// memory; on a file they cost a `pwrite` per page, which was a quarter of the writer's time
/// under group commit, where every writer runs in a savepoint.
const SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; \
     PRAGMA synchronous=FULL; PRAGMA mmap_size=1073741824; PRAGMA temp_store=MEMORY;";

/// The SQLite URL for a data folder.
pub fn sqlite_url(data_dir: &Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("steward.db").display()
    )
}

impl Store {
    /// Opens the database at `url` (`sqlite://…` or `postgres://…`) and the blob folder under
    /// `data_dir`. Errors name the problem in one line.
    pub async fn open(url: &str, data_dir: &Path) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Config(format!(
                "cannot create the data folder {}: {e}",
                data_dir.display()
            ))
        })?;
        let blobs = blobs::BlobStore::open(PathBuf::from(data_dir).join("blobs"))?;
        let options: AnyConnectOptions = url
            .parse()
            .map_err(|e| StoreError::Config(format!("bad database URL: {e}")))?;
        let (reader, writer) = match backend {
            Backend::Sqlite => {
                // One writer connection: SQLite takes one writer at a time anyway, a single
                // queue avoids SQLITE_BUSY upgrades, and concurrent writes share a commit
                // (see `writer`). Readers run beside it under WAL.
                let mut conn = options.connect().await.map_err(|e| connect_error(url, e))?;
                sqlx::raw_sql("PRAGMA journal_mode=WAL")
                    .execute(&mut conn)
                    .await
                    .map_err(|e| connect_error(url, e))?;
                sqlx::raw_sql(SQLITE_PRAGMAS)
                    .execute(&mut conn)
                    .await
                    .map_err(|e| connect_error(url, e))?;
                let reader = sqlite_pool(4)
                    .connect_with(options)
                    .await
                    .map_err(|e| connect_error(url, e))?;
                let writer = GroupWriter::start(conn).map_err(|e| {
                    StoreError::Config(format!("cannot start the database writer: {e}"))
                })?;
                (reader, WritePath::Group(writer))
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
                    .map_err(|e| connect_error(url, e))?;
                (pool.clone(), WritePath::Pool(pool))
            }
        };
        Ok(Store {
            reader,
            writer,
            backend,
            url: url.into(),
            blobs,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.reader
    }

    /// Starts a write transaction. On SQLite it holds the one writer connection (inside a
    /// batch that has taken the write lock), so a transaction that reads before it writes
    /// cannot fail half-way on a lock upgrade; its commit shares an fsync with its neighbours.
    pub async fn write(&self) -> Result<Tx> {
        match &self.writer {
            WritePath::Group(writer) => writer.begin().await,
            WritePath::Pool(pool) => Ok(Tx::plain(pool.begin().await?)),
        }
    }

    /// Runs `work` on the writer's own thread (SQLite), so its trips to the database are not
    /// queued behind every other task; PostgreSQL runs it where it is.
    pub async fn on_writer_lane<F, T, E>(&self, work: F) -> std::result::Result<T, E>
    where
        F: std::future::Future<Output = std::result::Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        match &self.writer {
            WritePath::Group(writer) => match writer.lane().spawn(work).await {
                Ok(out) => out,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                // The lane's runtime lives as long as the store does; should it stop all
                // the same, the caller hears the database is gone.
                Err(_) => Err(StoreError::Config("the database writer stopped".into()).into()),
            },
            WritePath::Pool(_) => work.await,
        }
    }

    /// SQLite's group-commit counters; `None` on PostgreSQL.
    pub fn write_stats(&self) -> Option<WriteStats> {
        match &self.writer {
            WritePath::Group(writer) => Some(writer.stats()),
            WritePath::Pool(_) => None,
        }
    }

    /// Brings the schema up to date; safe to run on every start.
    pub async fn migrate(&self) -> Result<usize> {
        schema::migrate(self).await
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.reader).await.is_ok()
    }

    pub async fn close(&self) {
        match &self.writer {
            WritePath::Group(writer) => writer.flush().await,
            WritePath::Pool(pool) => pool.close().await,
        }
        self.reader.close().await;
    }
}

fn sqlite_pool(max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        // A connection to a local file does not go stale; checking it would cost a trip to
        // its thread on every read.
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                sqlx::raw_sql(SQLITE_PRAGMAS).execute(conn).await?;
                Ok(())
            })
        })
}

fn connect_error(url: &str, e: sqlx::Error) -> StoreError {
    StoreError::Config(format!("cannot open the database {}: {e}", redact_url(url)))
}

/// A database URL without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://bob:secret@db:5432/x"),
            "postgres://bob:***@db:5432/x"
        );
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
