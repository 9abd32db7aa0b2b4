//! Freeing large values off the command path (`UNLINK`, `FLUSHALL ASYNC`, lazy eviction): a
//! background thread drops what it is sent, and the counters feed `lazyfree_pending_objects`
//! and `lazyfreed_objects`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use super::record::Record;
use crate::types::{Object, Objects};

/// Values with fewer parts than this are freed at once, as Redis's `LAZYFREE_THRESHOLD`.
pub const LAZYFREE_THRESHOLD: usize = 64;

/// Something to drop on the lazy-free thread, and how many objects it counts as.
struct Job {
    garbage: Box<dyn Send>,
    objects: u64,
}

/// The lazy-free thread and its counters.
pub struct LazyFree {
    sender: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    pending: Arc<AtomicU64>,
    freed: Arc<AtomicU64>,
}

impl LazyFree {
    /// Starts the thread.
    pub fn start() -> LazyFree {
        let (sender, receiver) = mpsc::channel::<Job>();
        let pending = Arc::new(AtomicU64::new(0));
        let freed = Arc::new(AtomicU64::new(0));
        let (thread_pending, thread_freed) = (Arc::clone(&pending), Arc::clone(&freed));
        let thread = std::thread::Builder::new()
            .name("zedis-lazyfree".to_string())
            .spawn(move || {
                for job in receiver {
                    drop(job.garbage);
                    // What this thread's allocator cache holds would keep whole slabs of the
                    // freed memory from going back to the system until its next job.
                    zmalloc::flush_thread_cache();
                    thread_pending.fetch_sub(job.objects, Ordering::Relaxed);
                    thread_freed.fetch_add(job.objects, Ordering::Relaxed);
                }
            })
            .ok();
        LazyFree {
            sender: thread.as_ref().map(|_| sender),
            thread,
            pending,
            freed,
        }
    }

    /// Hands `garbage`, counting as `objects` objects, to the thread; drops it here if the
    /// thread is not running.
    pub fn free_async(&self, garbage: Box<dyn Send>, objects: u64) {
        let Some(sender) = &self.sender else {
            return drop(garbage);
        };
        self.pending.fetch_add(objects, Ordering::Relaxed);
        if let Err(mpsc::SendError(job)) = sender.send(Job { garbage, objects }) {
            self.pending.fetch_sub(objects, Ordering::Relaxed);
            drop(job);
        }
    }

    /// Frees a deleted key's record and collection: on the thread when `lazy` and the
    /// collection has more than [`LAZYFREE_THRESHOLD`] parts (Redis's free effort), at once
    /// otherwise. A string record is one block, cheap to free whatever its size.
    pub fn free_value(&self, record: Record, object: Option<Object>, lazy: bool) {
        match object {
            Some(object) if lazy && object.effort() > LAZYFREE_THRESHOLD => {
                self.free_async(Box::new((record, object)), 1);
            }
            _ => drop((record, object)),
        }
    }

    /// Frees a whole database's records and collections on the thread (`FLUSHDB ASYNC`).
    pub fn free_db_async(&self, records: Vec<Record>, objects: Objects) {
        let count = records.len() as u64;
        if records.len() < LAZYFREE_THRESHOLD {
            return drop((records, objects));
        }
        self.free_async(Box::new((records, objects)), count);
    }

    /// Objects queued and not yet freed.
    pub fn pending(&self) -> u64 {
        self.pending.load(Ordering::Relaxed)
    }

    /// Objects freed by the thread so far.
    pub fn freed(&self) -> u64 {
        self.freed.load(Ordering::Relaxed)
    }

    /// Waits until everything queued so far is freed (used before measuring memory).
    pub fn drain(&self) {
        while self.pending() > 0 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
}

impl Drop for LazyFree {
    fn drop(&mut self) {
        self.sender = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
