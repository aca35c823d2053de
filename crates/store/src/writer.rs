//! The write path, and group commit on SQLite.
//!
//! SQLite has one writer, and a durable commit (WAL, `synchronous=FULL`) costs one fsync, so
//! committing each request alone caps writes near the disk's fsync rate. Here concurrent
//! writers share one SQLite transaction: each runs inside its own savepoint on the single
//! writer connection, and a flusher task commits the whole batch with one `COMMIT`. A caller's
//! [`Tx::commit`] returns only once the batch holding its change is durable, so "201 means it
//! survives a crash" still holds. A caller that fails, rolls back or is dropped undoes only its
//! own savepoint. If the batch's `COMMIT` fails, every caller in it gets the error.
//!
//! Batches form by themselves: the writer lock is fair (first come, first served), so when the
//! flusher queues for it behind the writers already waiting, they all join the open batch
//! before it commits. One writer alone pays one extra task hop and nothing else.
//!
//! Every statement is a trip to the driver's thread and back, made while holding the one
//! writer, so the bookkeeping rides along with real work: the batch's first writer opens it in
//! the same trip as its savepoint, and a committed savepoint is released in the same trip as
//! the next writer's savepoint (or by the batch's `COMMIT`). Savepoints carry a number each, so
//! undoing a caller's can never reach one that belongs to another.
//!
//! The writer runs on a thread of its own with its own small runtime, where callers on the hot
//! path send their whole transaction ([`crate::Store::on_writer_lane`]): each of its trips to
//! the driver then resumes at once, instead of queueing behind every socket and request the
//! main runtime is serving, which under load multiplied the time the one writer is held.
//!
//! PostgreSQL groups the commits of concurrent connections itself; there a [`Tx`] is a plain
//! transaction.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use sqlx::{Any, AnyConnection, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard, mpsc, watch};

use crate::text_index::{self, IndexOp};
use crate::{Result, StoreError};

/// A write transaction on either backend. Dereferences to the connection, so repositories take
/// `&mut tx`. Dropping it without `commit` rolls it back. Text-index writes wait in it until
/// commit (see `text_index`).
pub struct Tx {
    inner: Inner,
    index_ops: Vec<IndexOp>,
}

enum Inner {
    Plain(Transaction<'static, Any>),
    Grouped(GroupedTx),
}

impl Tx {
    pub(crate) fn plain(tx: Transaction<'static, Any>) -> Tx {
        Tx {
            inner: Inner::Plain(tx),
            index_ops: Vec::new(),
        }
    }

    /// The database this transaction runs on.
    pub fn backend(&self) -> crate::Backend {
        match self.inner {
            Inner::Plain(_) => crate::Backend::Postgres,
            Inner::Grouped(_) => crate::Backend::Sqlite,
        }
    }

    /// Records a text-index change to apply in this transaction's commit.
    pub(crate) fn defer(&mut self, op: IndexOp) {
        self.index_ops.push(op);
    }

    /// Makes the change durable. On SQLite this waits for the batch it joined to commit.
    pub async fn commit(self) -> Result<()> {
        match self.inner {
            Inner::Plain(mut tx) => {
                text_index::apply(&mut tx, &self.index_ops).await?;
                Ok(tx.commit().await?)
            }
            Inner::Grouped(tx) => tx.commit(self.index_ops).await,
        }
    }

    /// Undoes the change.
    pub async fn rollback(self) -> Result<()> {
        match self.inner {
            Inner::Plain(tx) => Ok(tx.rollback().await?),
            Inner::Grouped(tx) => tx.rollback().await,
        }
    }
}

impl Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match &self.inner {
            Inner::Plain(tx) => tx,
            Inner::Grouped(tx) => &tx.slot.conn,
        }
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match &mut self.inner {
            Inner::Plain(tx) => tx,
            Inner::Grouped(tx) => &mut tx.slot.conn,
        }
    }
}

/// The SQLite writer: one connection, the open batch, and the flusher that commits it.
pub(crate) struct GroupWriter {
    slot: Arc<Mutex<Slot>>,
    wake: mpsc::Sender<()>,
    /// The writer thread's runtime.
    lane: tokio::runtime::Handle,
    /// Dropped with the writer, which ends its thread.
    _stop: tokio::sync::oneshot::Sender<()>,
    stats: Arc<Counters>,
}

/// What the writer lock guards.
struct Slot {
    conn: AnyConnection,
    /// An outer `BEGIN IMMEDIATE` is open.
    open: bool,
    /// The savepoint of a caller that has not committed: the one working now, or one left open
    /// by a failed or dropped caller (undone before the writer is used again). It may not
    /// exist if its caller was cancelled before the statement ran.
    dirty: Option<u64>,
    /// A committed caller's savepoint, released with the next statement that goes anyway.
    unreleased: Option<u64>,
    /// The number the next savepoint takes.
    next: u64,
    /// Text-index changes of the batch's committed savepoints, applied before its `COMMIT`.
    index_ops: Vec<IndexOp>,
    /// Told the outcome of the open batch's `COMMIT`.
    batch: watch::Sender<Option<std::result::Result<(), String>>>,
    stats: Arc<Counters>,
}

/// How many transactions the SQLite writer has committed, in how many `COMMIT`s, and how long
/// the one writer was held: by transactions, and by the commits of their batches. Their sum
/// over a stretch of time is how busy the writer was, the first thing to look at when writes
/// queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteStats {
    pub transactions: u64,
    pub commits: u64,
    pub held_us: u64,
    pub committing_us: u64,
}

/// [`WriteStats`], counted as they happen (read without taking the writer).
#[derive(Default)]
struct Counters {
    transactions: AtomicU64,
    commits: AtomicU64,
    held_us: AtomicU64,
    committing_us: AtomicU64,
}

impl Counters {
    fn add(counter: &AtomicU64, since: Instant) {
        counter.fetch_add(since.elapsed().as_micros() as u64, Ordering::Relaxed);
    }
}

struct GroupedTx {
    slot: OwnedMutexGuard<Slot>,
    wake: WakeOnDrop,
    held: Held,
}

/// Counts how long a transaction held the writer, when dropped.
struct Held(Instant, Arc<Counters>);

impl Drop for Held {
    fn drop(&mut self) {
        Counters::add(&self.1.held_us, self.0);
    }
}

/// Wakes the flusher when dropped, whichever way a transaction ends: committed, rolled back,
/// or abandoned by an error or a cancelled request (then the flusher closes the open batch so
/// SQLite's write lock is not held for nothing).
struct WakeOnDrop(mpsc::Sender<()>);

impl Drop for WakeOnDrop {
    fn drop(&mut self) {
        let _ = self.0.try_send(());
    }
}

impl GroupWriter {
    /// Takes over `conn` and starts the writer's thread, with the flusher on it; the thread
    /// and its tasks end when the writer is dropped.
    pub(crate) fn start(conn: AnyConnection) -> std::io::Result<Arc<GroupWriter>> {
        let (wake, wakes) = mpsc::channel(1);
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("steward-writer".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                match runtime {
                    Ok(rt) => {
                        let _ = handle_tx.send(Ok(rt.handle().clone()));
                        // Runs until the writer is dropped; its tasks end with it.
                        rt.block_on(async {
                            let _ = stopped.await;
                        });
                    }
                    Err(e) => {
                        let _ = handle_tx.send(Err(e));
                    }
                }
            })?;
        let lane = handle_rx
            .recv()
            .map_err(|_| std::io::Error::other("the writer thread did not start"))??;
        let stats = Arc::<Counters>::default();
        let writer = Arc::new(GroupWriter {
            slot: Arc::new(Mutex::new(Slot {
                conn,
                open: false,
                dirty: None,
                unreleased: None,
                next: 0,
                index_ops: Vec::new(),
                batch: watch::channel(None).0,
                stats: stats.clone(),
            })),
            wake,
            lane,
            _stop: stop,
            stats,
        });
        writer.lane.spawn(flusher(writer.slot.clone(), wakes));
        Ok(writer)
    }

    pub(crate) fn lane(&self) -> &tokio::runtime::Handle {
        &self.lane
    }

    pub(crate) async fn begin(&self) -> Result<Tx> {
        let mut slot = self.slot.clone().lock_owned().await;
        let held = Held(Instant::now(), self.stats.clone());
        slot.undo_dirty().await?;
        slot.savepoint().await?;
        Ok(Tx {
            inner: Inner::Grouped(GroupedTx {
                slot,
                wake: WakeOnDrop(self.wake.clone()),
                held,
            }),
            index_ops: Vec::new(),
        })
    }

    pub(crate) fn stats(&self) -> WriteStats {
        let c = &self.stats;
        WriteStats {
            transactions: c.transactions.load(Ordering::Relaxed),
            commits: c.commits.load(Ordering::Relaxed),
            held_us: c.held_us.load(Ordering::Relaxed),
            committing_us: c.committing_us.load(Ordering::Relaxed),
        }
    }

    /// Commits whatever batch is open; for shutdown.
    pub(crate) async fn flush(&self) {
        self.slot.lock().await.flush().await;
    }
}

impl GroupedTx {
    async fn commit(self, index_ops: Vec<IndexOp>) -> Result<()> {
        let GroupedTx {
            mut slot,
            wake,
            held,
        } = self;
        // Kept in the batch: its savepoint is released by the next statement that goes anyway.
        slot.unreleased = slot.dirty.take();
        slot.index_ops.extend(index_ops);
        slot.stats.transactions.fetch_add(1, Ordering::Relaxed);
        let mut outcome = slot.batch.subscribe();
        drop(held);
        drop(slot);
        drop(wake);
        let outcome = outcome
            .wait_for(Option::is_some)
            .await
            .map_err(|_| StoreError::Config("the database writer stopped".into()))?;
        match outcome.as_ref() {
            Some(Err(message)) => Err(StoreError::Config(format!(
                "the database could not commit: {message}"
            ))),
            _ => Ok(()),
        }
    }

    async fn rollback(self) -> Result<()> {
        let GroupedTx {
            mut slot,
            wake,
            held,
        } = self;
        let undone = slot.undo_dirty().await;
        drop(held);
        drop(slot);
        drop(wake);
        undone
    }
}

impl Slot {
    /// Opens a savepoint for a new caller: with the batch's `BEGIN` when it is the first, and
    /// releasing the last caller's committed savepoint on the way.
    async fn savepoint(&mut self) -> Result<()> {
        let n = self.next;
        self.next += 1;
        // Set before the savepoint exists, so a cancelled or failed call still gets undone.
        self.dirty = Some(n);
        let sql = match (self.open, self.unreleased) {
            (false, _) => format!("BEGIN IMMEDIATE; SAVEPOINT steward_write_{n}"),
            (true, Some(done)) => {
                format!("RELEASE steward_write_{done}; SAVEPOINT steward_write_{n}")
            }
            (true, None) => format!("SAVEPOINT steward_write_{n}"),
        };
        let ran = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut self.conn)
            .await;
        match ran {
            Ok(_) => {
                self.open = true;
                self.unreleased = None;
                Ok(())
            }
            Err(e) if !self.open => {
                // Neither may have happened: leave nothing to undo, and roll back a `BEGIN`
                // whose savepoint failed (or one a cancelled caller left behind).
                self.dirty = None;
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut self.conn).await;
                Err(e.into())
            }
            Err(_) => {
                // The release failed: that savepoint is gone already (a cancelled caller's
                // trip ran after all) or stays nested until `COMMIT`; either way it is kept.
                self.unreleased = None;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("SAVEPOINT steward_write_{n}")))
                    .execute(&mut self.conn)
                    .await?;
                Ok(())
            }
        }
    }

    async fn undo_dirty(&mut self) -> Result<()> {
        let Some(n) = self.dirty else {
            return Ok(());
        };
        let undone = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "ROLLBACK TO steward_write_{n}; RELEASE steward_write_{n}"
        )))
        .execute(&mut self.conn)
        .await;
        match undone {
            Ok(_) => {
                self.dirty = None;
                Ok(())
            }
            // Its call was cancelled before the savepoint ran: there is nothing to undo (and
            // being numbered, the rollback could not reach another caller's change).
            Err(e) if e.to_string().contains("no such savepoint") => {
                self.dirty = None;
                Ok(())
            }
            // Still there: the batch's `COMMIT` must not take it, so the flusher rolls the
            // batch back when this cannot be undone.
            Err(e) => Err(e.into()),
        }
    }

    /// Undoes a left-over savepoint, applies the batch's text-index changes and commits.
    async fn finish(&mut self) -> Result<()> {
        self.undo_dirty().await?;
        let ops = std::mem::take(&mut self.index_ops);
        text_index::apply(&mut self.conn, &ops).await?;
        sqlx::raw_sql("COMMIT").execute(&mut self.conn).await?;
        Ok(())
    }

    /// Commits the open batch (if any) and tells its writers the outcome.
    async fn flush(&mut self) {
        if !self.open {
            return;
        }
        let began = Instant::now();
        let outcome = self.finish().await;
        self.index_ops.clear();
        let outcome = match outcome {
            Ok(()) => {
                self.stats.commits.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, "a batch of writes failed to commit");
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut self.conn).await;
                self.dirty = None;
                Err(e.to_string())
            }
        };
        // `COMMIT` (or `ROLLBACK`) ends every savepoint.
        self.unreleased = None;
        self.open = false;
        // Counted before the writers hear, so their next look at the stats includes it.
        Counters::add(&self.stats.committing_us, began);
        let done = std::mem::replace(&mut self.batch, watch::channel(None).0);
        done.send_replace(Some(outcome));
    }
}

/// Commits the open batch each time it is woken, on the writer's thread; ends with that
/// thread (the writer dropped) or once every wake sender is gone.
async fn flusher(slot: Arc<Mutex<Slot>>, mut wakes: mpsc::Receiver<()>) {
    while wakes.recv().await.is_some() {
        slot.lock().await.flush().await;
    }
}

#[cfg(test)]
mod tests {
    use crate::{Store, sqlite_url};
    use std::time::Duration;

    async fn store(name: &str) -> (Store, std::path::PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("steward-writer-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Store::open(&sqlite_url(&dir), &dir).await.expect("open");
        let mut tx = store.write().await.expect("begin");
        sqlx::raw_sql(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY);
             CREATE TABLE t (n INTEGER NOT NULL,
                 parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)",
        )
        .execute(&mut *tx)
        .await
        .expect("schema");
        tx.commit().await.expect("commit");
        (store, dir)
    }

    async fn insert(store: &Store, n: i64, parent: Option<i64>) -> crate::Tx {
        let mut tx = store.write().await.expect("begin");
        sqlx::query("INSERT INTO t (n, parent) VALUES ($1, $2)")
            .bind(n)
            .bind(parent)
            .execute(&mut *tx)
            .await
            .expect("insert");
        tx
    }

    async fn rows(store: &Store) -> Vec<i64> {
        sqlx::query_scalar("SELECT n FROM t ORDER BY n")
            .fetch_all(store.pool())
            .await
            .expect("select")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_waiting_behind_one_another_share_one_commit() {
        let (store, dir) = store("share").await;
        let before = store.write_stats().expect("sqlite");
        let first = insert(&store, 0, None).await;
        let mut waiting = Vec::new();
        for n in 1..=10 {
            let store = store.clone();
            waiting.push(tokio::spawn(async move {
                insert(&store, n, None).await.commit().await
            }));
        }
        // The ten queue for the writer while the first holds it.
        tokio::time::sleep(Duration::from_millis(200)).await;
        first.commit().await.expect("first commits");
        for w in waiting {
            w.await.expect("task").expect("commit");
        }
        assert_eq!(rows(&store).await, (0..=10).collect::<Vec<_>>());
        let after = store.write_stats().expect("sqlite");
        assert_eq!(after.transactions - before.transactions, 11);
        assert!(
            after.commits - before.commits <= 2,
            "eleven queued writers took {} commits",
            after.commits - before.commits
        );
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_stats_count_how_long_transactions_and_commits_held_the_writer() {
        let (store, dir) = store("held").await;
        let before = store.write_stats().expect("sqlite");
        let tx = insert(&store, 1, None).await;
        tokio::time::sleep(Duration::from_millis(60)).await;
        tx.commit().await.expect("commit");
        let after = store.write_stats().expect("sqlite");
        assert_eq!(after.transactions - before.transactions, 1);
        assert!(after.commits > before.commits);
        assert!(
            after.held_us - before.held_us >= 60_000,
            "held {} µs",
            after.held_us - before.held_us
        );
        assert!(after.committing_us > before.committing_us);
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_sent_to_the_writer_lane_runs_on_the_writer_thread_and_its_writes_commit() {
        let (store, dir) = store("lane").await;
        let on_lane = store.clone();
        let thread = store
            .on_writer_lane(async move {
                let tx = insert(&on_lane, 7, None).await;
                tx.commit().await?;
                Ok::<_, crate::StoreError>(std::thread::current().name().map(str::to_string))
            })
            .await
            .expect("ran");
        assert_eq!(thread.as_deref(), Some("steward-writer"));
        assert_eq!(rows(&store).await, vec![7]);
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_or_rolled_back_writer_undoes_only_its_own_change() {
        let (store, dir) = store("undo").await;
        let a = insert(&store, 1, None).await;
        a.commit().await.expect("a");
        drop(insert(&store, 2, None).await);
        insert(&store, 3, None)
            .await
            .rollback()
            .await
            .expect("rollback");
        insert(&store, 4, None).await.commit().await.expect("d");
        assert_eq!(rows(&store).await, vec![1, 4]);
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_rolled_back_right_after_another_committed_keeps_the_committed_change() {
        let (store, dir) = store("after").await;
        let first = insert(&store, 1, None).await;
        let (store2, store3) = (store.clone(), store.clone());
        // Both queue behind `first`, so all three share a batch: the second opens its
        // savepoint in the trip that releases the first's, then gives up.
        let second = tokio::spawn(async move {
            insert(&store2, 2, None)
                .await
                .rollback()
                .await
                .expect("rollback")
        });
        let third = tokio::spawn(async move { insert(&store3, 3, None).await.commit().await });
        tokio::time::sleep(Duration::from_millis(200)).await;
        first.commit().await.expect("first");
        second.await.expect("task");
        third.await.expect("task").expect("third");
        assert_eq!(rows(&store).await, vec![1, 3]);
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_savepoint_whose_call_was_cancelled_before_it_ran_undoes_nothing_of_others() {
        let (store, dir) = store("cancelled").await;
        let first = insert(&store, 1, None).await;
        let super::Inner::Grouped(tx) = first.inner else {
            panic!("SQLite writes are grouped");
        };
        let super::GroupedTx {
            mut slot,
            wake,
            held,
        } = tx;
        // The first caller commits; the next is cancelled before its savepoint statement ran.
        slot.unreleased = slot.dirty.take();
        slot.dirty = Some(slot.next);
        slot.next += 1;
        slot.undo_dirty().await.expect("nothing to undo");
        slot.savepoint()
            .await
            .expect("the next writer opens its savepoint");
        sqlx::query("INSERT INTO t (n) VALUES (2)")
            .execute(&mut slot.conn)
            .await
            .expect("insert");
        slot.unreleased = slot.dirty.take();
        slot.flush().await;
        drop(held);
        drop(slot);
        drop(wake);
        assert_eq!(rows(&store).await, vec![1, 2]);
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_that_cannot_commit_fails_every_writer_in_it_and_the_next_batch_works() {
        let (store, dir) = store("fail").await;
        // A deferred foreign key is checked only at COMMIT, so the whole batch fails there.
        let bad = insert(&store, 1, Some(99)).await;
        let store2 = store.clone();
        let neighbour = tokio::spawn(async move { insert(&store2, 2, None).await.commit().await });
        tokio::time::sleep(Duration::from_millis(200)).await;
        let err = bad
            .commit()
            .await
            .expect_err("the batch violates a constraint");
        assert!(err.to_string().contains("could not commit"), "{err}");
        neighbour
            .await
            .expect("task")
            .expect_err("shared the failed batch");
        assert!(rows(&store).await.is_empty());
        insert(&store, 3, None)
            .await
            .commit()
            .await
            .expect("next batch");
        assert_eq!(rows(&store).await, vec![3]);
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
