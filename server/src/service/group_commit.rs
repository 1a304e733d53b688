//! Group commit on SQLite: registrations (licences, datasets, model versions) that arrive while
//! another is being written share one write transaction, each inside a savepoint of its own.
//!
//! SQLite lets one connection write at a time, and each COMMIT writes the pages it changed to
//! the write-ahead log. Registrations arriving together (16 clients, say) used to take turns at
//! the write lock, waiting in SQLite's busy handler, which sleeps in steps of milliseconds, and
//! each wrote its own copies of the same index pages. Here one task, the committer, does every
//! batched write: it opens a transaction (`BEGIN IMMEDIATE`), runs the waiting writes one after
//! another, each between `SAVEPOINT` and `RELEASE` (or `ROLLBACK TO` when it fails, which
//! undoes that write alone), and commits once. Each caller hears its answer only after that
//! COMMIT: a registration reported stored is stored, and one that failed left nothing behind.
//! If the COMMIT fails, every write of the batch fails with it. A write whose caller has gone
//! (its request dropped) before its turn is not made.
//!
//! The committer's batches and this process's other SQLite writes (token registrations, status
//! events, anchoring) take turns at an in-process gate, first come first served
//! ([`Registry::write_turn`]), not in SQLite's busy handler, which retries after sleeps of up
//! to 100 ms and so could keep missing the short gaps between back-to-back batches until its
//! timeout.
//!
//! On PostgreSQL, whose transactions run side by side, a write runs in a transaction of its
//! own, as before, and there is no gate.
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbBackend, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

use super::Registry;
use crate::error::{AppError, AppResult};

/// Most writes in one transaction: bounds how long the write lock is held and how much one
/// failed COMMIT takes with it.
const MAX_BATCH: usize = 64;

/// A boxed future that may borrow the transaction it writes in.
pub(crate) type WriteFuture<'t, T> = Pin<Box<dyn Future<Output = AppResult<T>> + Send + 't>>;

/// One write: `work` runs it inside a savepoint and says whether it succeeded; `deliver`
/// tells its caller how it ended once the batch's COMMIT is known (or that it never ran).
struct Job {
    work: Work,
    deliver: Box<dyn FnOnce(Result<(), String>) + Send>,
}

/// What the two halves of a queued write share: the caller's answer channel, until the
/// caller is answered, and the write's result.
struct Shared<T> {
    tell: Option<oneshot::Sender<AppResult<T>>>,
    result: Option<AppResult<T>>,
}

/// A job's write; true when it succeeded.
type Work = Box<dyn for<'t> FnOnce(&'t DatabaseTransaction) -> Pin<Box<dyn Future<Output = bool> + Send + 't>> + Send>;

/// Boxes `f` as a [`Work`] (naming the bound lets the closure borrow any transaction).
fn work_of<F>(f: F) -> Work
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> Pin<Box<dyn Future<Output = bool> + Send + 't>> + Send + 'static,
{
    Box::new(f)
}

/// The committer's queue, started on first use (and again if it stopped), and the gate every
/// SQLite writer of this process passes.
#[derive(Debug, Default)]
pub(crate) struct Committer {
    queue: Mutex<Option<mpsc::UnboundedSender<Job>>>,
    gate: Arc<tokio::sync::Mutex<()>>,
}

/// A turn at writing to SQLite, held until the write is committed or undone (see
/// [`Registry::write_turn`]); empty on PostgreSQL.
pub(crate) type WriteTurn = Option<tokio::sync::OwnedMutexGuard<()>>;

impl Committer {
    fn queue(&self, db: &DatabaseConnection) -> AppResult<mpsc::UnboundedSender<Job>> {
        let mut slot = self.queue.lock().map_err(|_| AppError::Internal("write queue poisoned".into()))?;
        if let Some(tx) = slot.as_ref().filter(|tx| !tx.is_closed()) {
            return Ok(tx.clone());
        }
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(db.clone(), Arc::clone(&self.gate), rx));
        *slot = Some(tx.clone());
        Ok(tx)
    }
}

/// Runs batches until every sender is gone.
async fn run(db: DatabaseConnection, gate: Arc<tokio::sync::Mutex<()>>, mut queue: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = queue.recv().await {
        let turn = Arc::clone(&gate).lock_owned().await;
        let txn = match super::begin_immediate(&db).await {
            Ok(txn) => txn,
            Err(e) => {
                drop(turn);
                // Everything waiting now would wait for the same lock: all of it fails at once.
                let reason = format!("opening the write transaction: {e}");
                (first.deliver)(Err(reason.clone()));
                while let Ok(job) = queue.try_recv() {
                    (job.deliver)(Err(reason.clone()));
                }
                continue;
            }
        };
        let mut ran = Vec::new();
        let mut broken = None;
        let mut next = Some(first);
        while let Some(Job { work, deliver }) = next.take() {
            ran.push(deliver);
            let savepoint = match txn.begin().await {
                Ok(savepoint) => savepoint,
                Err(e) => {
                    broken = Some(format!("opening a savepoint: {e}"));
                    break;
                }
            };
            let ok = work(&savepoint).await;
            let closed = if ok { savepoint.commit().await } else { savepoint.rollback().await };
            if let Err(e) = closed {
                broken = Some(format!("closing a savepoint: {e}"));
                break;
            }
            if ran.len() < MAX_BATCH {
                next = queue.try_recv().ok();
            }
        }
        let outcome = match broken {
            Some(reason) => {
                drop(txn);
                Err(reason)
            }
            None => txn.commit().await.map_err(|e| format!("committing: {e}")),
        };
        drop(turn);
        crate::metrics::metrics().write_batch(ran.len());
        for deliver in ran {
            deliver(outcome.clone());
        }
    }
}

impl Registry {
    /// On SQLite, this process's turn to write: the group committer's batches and every other
    /// write wait here in order of arrival. Hold it until the write is committed or undone, and
    /// do not ask for another turn (or call [`write`](Self::write)) while holding one. Nothing to
    /// wait for on PostgreSQL.
    pub(crate) async fn write_turn(&self) -> WriteTurn {
        if self.db.get_database_backend() == DbBackend::Sqlite {
            Some(Arc::clone(&self.committer.gate).lock_owned().await)
        } else {
            None
        }
    }

    /// Runs `work` in a write transaction and answers once it is committed. On SQLite the
    /// transaction may be shared with other writes (see the module's documentation), each in a
    /// savepoint: `work` must do all its writing through the transaction it is given, and when
    /// it fails everything it wrote is undone.
    pub(crate) async fn write<T, F>(&self, work: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t DatabaseTransaction) -> WriteFuture<'t, T> + Send + 'static,
    {
        if self.db.get_database_backend() != DbBackend::Sqlite {
            let (txn, _turn) = self.begin_write().await?;
            let value = work(&txn).await?;
            txn.commit().await?;
            return Ok(value);
        }
        let (tell, answer) = oneshot::channel::<AppResult<T>>();
        let shared = Arc::new(Mutex::new(Shared { tell: Some(tell), result: None }));
        let filled = Arc::clone(&shared);
        let job = Job {
            work: work_of(move |txn: &DatabaseTransaction| {
                Box::pin(async move {
                    // A caller that gave up (its request dropped) before its turn gets nothing
                    // written, as when a request ends before its transaction begins.
                    let waited = filled.lock().is_ok_and(|s| s.tell.as_ref().is_some_and(|t| !t.is_closed()));
                    if !waited {
                        return false;
                    }
                    let result = work(txn).await;
                    let ok = result.is_ok();
                    if let Ok(mut shared) = filled.lock() {
                        shared.result = Some(result);
                    }
                    ok
                })
            }),
            deliver: Box::new(move |committed| {
                let Some((tell, result)) = shared.lock().ok().and_then(|mut s| Some((s.tell.take()?, s.result.take())))
                else {
                    return;
                };
                let _ = tell.send(match (result, committed) {
                    // A conflict may have been with a neighbour in the batch that was not stored
                    // either: the caller is told its write was not stored, and may retry.
                    (Some(Err(AppError::Conflict { .. })), Err(reason)) => {
                        Err(AppError::Internal(format!("the write was not stored: {reason}")))
                    }
                    (Some(Err(e)), _) => Err(e),
                    (Some(Ok(value)), Ok(())) => Ok(value),
                    (Some(Ok(_)), Err(reason)) | (None, Err(reason)) => {
                        Err(AppError::Internal(format!("the write was not stored: {reason}")))
                    }
                    (None, Ok(())) => Err(AppError::Internal("the write did not run".into())),
                });
            }),
        };
        let queue = self.committer.queue(&self.db)?;
        queue.send(job).map_err(|_| AppError::Internal("the write queue has stopped".into()))?;
        answer
            .await
            .map_err(|_| AppError::Internal("the write was abandoned: its transaction was not committed".into()))?
    }
}

#[cfg(test)]
mod tests {
    use provreg_entities::model;
    use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder};
    use uuid::Uuid;

    use super::*;

    /// A write that adds model `name`, then fails when `fail` is set.
    async fn add_model(registry: &Registry, name: &'static str, fail: bool) -> AppResult<Uuid> {
        registry
            .write(move |txn| {
                Box::pin(async move {
                    let row = model::Model { id: Uuid::now_v7(), name: name.into(), created_at: crate::service::now() };
                    let id = model::ActiveModel::from(row).reset_all().insert(txn).await?.id;
                    if fail {
                        return Err(AppError::Conflict {
                            message: format!("{name} fails after writing"),
                            existing_id: None,
                        });
                    }
                    Ok(id)
                })
            })
            .await
    }

    #[tokio::test(flavor = "current_thread")]
    async fn batched_writes_fail_alone_and_writes_of_gone_callers_are_not_made() {
        let db = crate::db::connect("sqlite::memory:", 1).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        let registry = Registry::new(db).unwrap();
        // On one thread every write below is queued before the committer first runs, so all
        // five share one transaction.
        let (a, b, c, d, e) = tokio::join!(
            add_model(&registry, "a", false),
            add_model(&registry, "b", true),
            add_model(&registry, "c", false),
            add_model(&registry, "d", true),
            add_model(&registry, "e", false),
        );
        assert!(
            matches!(b, Err(AppError::Conflict { ref message, .. }) if message == "b fails after writing"),
            "{b:?}"
        );
        assert!(d.is_err(), "{d:?}");
        let stored: Vec<(Uuid, String)> = model::Entity::find()
            .order_by_asc(model::Column::Name)
            .all(&registry.db)
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.id, m.name))
            .collect();
        let want = vec![(a.unwrap(), "a".to_owned()), (c.unwrap(), "c".to_owned()), (e.unwrap(), "e".to_owned())];
        assert_eq!(stored, want, "the failed writes leave nothing; their neighbours are all stored");

        // A write whose caller is gone before its turn is not made.
        let mut gone = Box::pin(add_model(&registry, "gone", false));
        std::future::poll_fn(|cx| {
            assert!(gone.as_mut().poll(cx).is_pending(), "queued, not yet written");
            std::task::Poll::Ready(())
        })
        .await;
        drop(gone);
        // A later write, after the batch, is committed on its own.
        let f = add_model(&registry, "f", false).await.unwrap();
        assert!(model::Entity::find_by_id(f).one(&registry.db).await.unwrap().is_some());
        let names: Vec<String> =
            model::Entity::find().all(&registry.db).await.unwrap().into_iter().map(|m| m.name).collect();
        assert!(!names.contains(&"gone".to_owned()), "{names:?}");
        assert!(names.contains(&"f".to_owned()), "{names:?}");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn batches_wait_for_the_turn_of_another_writer() {
        let db = crate::db::connect("sqlite::memory:", 1).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        let registry = Registry::new(db).unwrap();
        let turn = registry.write_turn().await;
        let mut queued = Box::pin(add_model(&registry, "queued", false));
        for _ in 0..20 {
            std::future::poll_fn(|cx| {
                assert!(queued.as_mut().poll(cx).is_pending(), "written while another writer had the turn");
                std::task::Poll::Ready(())
            })
            .await;
            // Time for the committer and the database's worker thread to get as far as they can.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        drop(turn);
        let id = queued.await.unwrap();
        assert!(model::Entity::find_by_id(id).one(&registry.db).await.unwrap().is_some());
    }
}
