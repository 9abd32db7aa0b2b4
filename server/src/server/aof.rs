//! The server's append-only file: feeding it the propagated effects of each execution unit,
//! writing and syncing them under `appendfsync`, the manifest of `appenddirname`, rewrites
//! (`BGREWRITEAOF`, automatic ones, turning `appendonly` on) and what `INFO persistence`
//! reports about all of it.
//!
//! Writes are appended to `buf` as commands run and reach the file before any reply that
//! depends on them is sent: connections wait for the flusher task (`cron::flush_aof`), which
//! runs after every connection that was ready in the same round, so one `write` (and under
//! `always` one `fsync`) covers them all, as Redis's `beforeSleep` does. Under `everysec` the
//! sync thread syncs once a second; a write that finds a sync running for more than two
//! seconds goes ahead anyway and is counted in `aof_delayed_fsync`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Server;
use super::persistence::{BackgroundSave, SaveTarget, unix_seconds};
use crate::aof::manifest::{Manifest, manifest_name, temp_incr_name, temp_manifest_name};
use crate::db::propagate::encode_command;
use crate::rdb::snapshot::FileSink;

/// `appendfsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    No,
    Always,
    Everysec,
}

impl FsyncPolicy {
    /// From the configuration's enum value (`no` 0, `always` 1, `everysec` 2).
    pub fn from_config(value: i64) -> FsyncPolicy {
        match value {
            0 => FsyncPolicy::No,
            1 => FsyncPolicy::Always,
            _ => FsyncPolicy::Everysec,
        }
    }
}

/// Redis's `aof_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AofState {
    Off,
    On,
    /// `appendonly` was turned on: writes collect in a temporary incremental file until the
    /// first base file is written.
    WaitRewrite,
}

/// A sync the sync thread is asked for: the file, and the append offset it covers.
struct SyncRequest {
    file: Arc<File>,
    offset: u64,
}

/// The thread that syncs the AOF off the command thread (Redis's bio fsync job).
struct SyncThread {
    requests: Sender<SyncRequest>,
    /// A sync is running (`aofFsyncInProgress`).
    busy: Arc<AtomicBool>,
    /// The append offset known to be on disk.
    synced: Arc<AtomicU64>,
    /// The last sync failed.
    failed: Arc<AtomicBool>,
}

impl SyncThread {
    fn start() -> SyncThread {
        let (requests, received) = channel::<SyncRequest>();
        let busy = Arc::new(AtomicBool::new(false));
        let synced = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicBool::new(false));
        let (b, s, f) = (Arc::clone(&busy), Arc::clone(&synced), Arc::clone(&failed));
        std::thread::Builder::new()
            .name("aof-fsync".into())
            .spawn(move || {
                let mut next = received.recv().ok();
                while let Some(mut request) = next.take() {
                    // Requests for the same file that queued up meanwhile are covered by one
                    // sync of the latest; another file's (after a switch) is synced next.
                    while let Ok(later) = received.try_recv() {
                        if Arc::ptr_eq(&later.file, &request.file) {
                            request = later;
                        } else {
                            next = Some(later);
                            break;
                        }
                    }
                    let ok = request.file.sync_data().is_ok();
                    f.store(!ok, Ordering::Release);
                    if ok {
                        s.fetch_max(request.offset, Ordering::AcqRel);
                    }
                    b.store(false, Ordering::Release);
                    if next.is_none() {
                        next = received.recv().ok();
                    }
                }
            })
            .expect("spawn the AOF sync thread");
        SyncThread {
            requests,
            busy,
            synced,
            failed,
        }
    }
}

/// A rewrite under way: the base file being written by a background save.
#[derive(Debug)]
pub struct Rewrite {
    /// The incremental files that existed when it started: they become history when it ends.
    pub incr_files_before: usize,
}

/// The append-only file and its bookkeeping.
pub struct Aof {
    pub state: AofState,
    pub manifest: Manifest,
    /// The incremental file being appended to.
    file: Option<Arc<File>>,
    /// Commands not yet written (`aof_buf`).
    pub buf: Vec<u8>,
    /// The database the file's last `SELECT` chose (`aof_selected_db`).
    selected_db: Option<usize>,
    /// The last `#TS:` annotation's second.
    last_timestamp: u64,
    /// Bytes ever appended to `buf`, and of those, written to the file.
    pub appended: u64,
    pub written: u64,
    /// Size of all base and incremental files (`aof_current_size`), of the base at the last
    /// rewrite (`aof_rewrite_base_size`), of the current incremental file.
    pub current_size: u64,
    pub base_size: u64,
    pub incr_size: u64,
    sync: SyncThread,
    /// When the last everysec sync was asked for.
    last_fsync: Instant,
    /// Since when writes wait for a slow sync (`aof_flush_postponed_start`).
    postponed_since: Option<Instant>,
    pub delayed_fsync: u64,
    /// The last write's error, if it failed (`aof_last_write_status`).
    pub write_error: Option<String>,
    pub rewrite: Option<Rewrite>,
    /// A `BGREWRITEAOF` waiting for a background save to end.
    pub rewrite_scheduled: bool,
    pub last_rewrite_ok: bool,
    pub rewrites: u64,
    pub rewrite_failures: u64,
    /// No automatic or scheduled rewrite before this, after repeated failures.
    pub rewrite_retry_at: Option<Instant>,
    pub last_rewrite_seconds: i64,
    /// Wakes the flusher task; it then tells waiting connections through `durable`.
    pub wake_flusher: std::rc::Rc<tokio::sync::Notify>,
    pub durable: Durable,
}

/// The append offset whose replies may go (written; synced under `always`) and the connections
/// waiting for it. Everything runs on the command thread, so a list of wakers does what a
/// `watch` channel would without its atomics and lock on every wait.
#[derive(Default)]
pub struct Durable {
    offset: u64,
    waiters: Vec<std::task::Waker>,
}

impl Durable {
    /// Records that replies up to `offset` may go and wakes every waiting connection.
    pub fn advance(&mut self, offset: u64) {
        self.offset = offset;
        for waiter in self.waiters.drain(..) {
            waiter.wake();
        }
    }

    pub fn reached(&self, needed: u64) -> bool {
        self.offset >= needed
    }

    /// Ready once `needed` is reached; until then the task is woken by the next `advance`.
    pub fn poll_reached(
        &mut self,
        needed: u64,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.reached(needed) {
            return std::task::Poll::Ready(());
        }
        self.waiters.push(cx.waker().clone());
        std::task::Poll::Pending
    }
}

impl Default for Aof {
    fn default() -> Self {
        Aof {
            state: AofState::Off,
            manifest: Manifest::default(),
            file: None,
            buf: Vec::new(),
            selected_db: None,
            last_timestamp: 0,
            appended: 0,
            written: 0,
            current_size: 0,
            base_size: 0,
            incr_size: 0,
            sync: SyncThread::start(),
            last_fsync: Instant::now(),
            postponed_since: None,
            delayed_fsync: 0,
            write_error: None,
            rewrite: None,
            rewrite_scheduled: false,
            last_rewrite_ok: true,
            rewrites: 0,
            rewrite_failures: 0,
            rewrite_retry_at: None,
            last_rewrite_seconds: -1,
            wake_flusher: std::rc::Rc::new(tokio::sync::Notify::new()),
            durable: Durable::default(),
        }
    }
}

impl Aof {
    /// Whether a sync is running.
    pub fn sync_in_progress(&self) -> bool {
        self.sync.busy.load(Ordering::Acquire)
    }

    /// The append offset on disk.
    pub fn synced(&self) -> u64 {
        self.sync.synced.load(Ordering::Acquire)
    }

    fn request_sync(&mut self) {
        if let Some(file) = &self.file {
            self.sync.busy.store(true, Ordering::Release);
            let _ = self.sync.requests.send(SyncRequest {
                file: Arc::clone(file),
                offset: self.written,
            });
        }
    }
}

impl Server {
    pub fn fsync_policy(&self) -> FsyncPolicy {
        FsyncPolicy::from_config(self.config.appendfsync)
    }

    pub fn aof_dir(&self) -> PathBuf {
        Path::new(&self.config.dir).join(&self.config.appenddirname)
    }

    /// Feeds what the execution unit that just ended propagated (`propagatePendingCommands`):
    /// more than one operation is wrapped in `MULTI`/`EXEC` unless `no_multi` (active expiry,
    /// eviction, commands that touch arbitrary keys).
    pub fn propagate_pending(&mut self, no_multi: bool) {
        let pending = &mut self.keyspace.propagation;
        if pending.is_empty() {
            return;
        }
        if self.aof.state != AofState::Off {
            let transaction = pending.len() > 1 && !no_multi;
            let aof = &mut self.aof;
            let before = aof.buf.len();
            let mut ops = pending.iter_to(crate::db::propagate::TO_AOF).peekable();
            let first_db = ops.peek().map_or(0, |&(db, _)| db);
            let timestamps = self.config.aof_timestamp_enabled;
            if transaction {
                feed(aof, first_db, b"*1\r\n$5\r\nMULTI\r\n", timestamps);
            }
            let mut last_db = first_db;
            for (db, text) in ops {
                feed(aof, db, text, timestamps);
                last_db = db;
            }
            if transaction {
                feed(aof, last_db, b"*1\r\n$4\r\nEXEC\r\n", timestamps);
            }
            aof.appended += (aof.buf.len() - before) as u64;
        }
        if self.feeds_replicas() {
            let pending = std::mem::take(&mut self.keyspace.propagation);
            let transaction = pending.len() > 1 && !no_multi;
            self.feed_replication_ops(
                pending.iter_to(crate::db::propagate::TO_REPLICAS),
                transaction,
            );
            self.keyspace.propagation = pending;
        }
        self.keyspace.propagation.clear();
    }

    /// Writes `buf` to the incremental file (`flushAppendOnlyFile`) and, under `always`, syncs
    /// it; under `everysec` asks the sync thread for a sync once a second.
    pub fn flush_aof(&mut self, force: bool) {
        let policy = self.fsync_policy();
        let aof = &mut self.aof;
        if aof.buf.is_empty() {
            return;
        }
        if aof.file.is_none() {
            return;
        }
        if policy == FsyncPolicy::Everysec && !force && aof.sync_in_progress() {
            let since = *aof.postponed_since.get_or_insert_with(Instant::now);
            if since.elapsed() < Duration::from_secs(2) {
                // Replies go anyway: under everysec up to two seconds of writes may be lost.
                return;
            }
            aof.delayed_fsync += 1;
            tracing::warn!(
                "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF \
                 buffer without waiting for fsync to complete, this may slow down Redis."
            );
        }
        aof.postponed_since = None;
        let file = aof.file.as_ref().expect("checked");
        match (&**file).write_all(&aof.buf) {
            Ok(()) => {
                let n = aof.buf.len() as u64;
                aof.written += n;
                aof.current_size += n;
                aof.incr_size += n;
                if aof.write_error.take().is_some() {
                    tracing::warn!("AOF write error looks solved, Redis can write again.");
                }
                // A small buffer is reused; a large one is given back, as Redis does.
                if aof.buf.capacity() < 4000 {
                    aof.buf.clear();
                } else {
                    aof.buf = Vec::new();
                }
            }
            Err(e) => {
                // `write_all` may have written part: the file is cut back so the retry
                // appends whole commands (Redis's `ftruncate` after a short write).
                let _ = file.set_len(aof.incr_size);
                if policy == FsyncPolicy::Always {
                    tracing::warn!(
                        "Can't recover from AOF write error when the AOF fsync policy is \
                         'always'. Exiting..."
                    );
                    std::process::exit(1);
                }
                if aof.write_error.is_none() {
                    tracing::warn!("Error writing to the AOF file: {e}");
                }
                aof.write_error = Some(strerror(&e));
                return;
            }
        }
        let rewriting = aof.rewrite.is_some() || self.persistence.background.is_some();
        if self.config.no_appendfsync_on_rewrite && rewriting {
            return;
        }
        match policy {
            FsyncPolicy::Always => {
                // On the command thread, as Redis does: a hand-off to the sync thread and back
                // cost more per round than the sync itself (measured: 58-64K against 73-76K
                // requests/s for Redis with 50 clients).
                let file = aof.file.as_ref().expect("checked");
                if let Err(e) = file.sync_data() {
                    tracing::warn!("Can't persist the AOF file on disk (fsync): {e}. Exiting...");
                    std::process::exit(1);
                }
                aof.sync.synced.fetch_max(aof.written, Ordering::AcqRel);
                aof.last_fsync = Instant::now();
            }
            FsyncPolicy::Everysec => {
                if !aof.sync_in_progress() && aof.last_fsync.elapsed() >= Duration::from_secs(1) {
                    aof.last_fsync = Instant::now();
                    aof.request_sync();
                }
            }
            FsyncPolicy::No => {}
        }
    }

    /// The cron's part: the everysec sync when the flusher had nothing to write, a failed
    /// write retried, an automatic rewrite when the file has grown enough.
    pub fn aof_cron(&mut self) {
        if self.aof.rewrite.is_none()
            && self.persistence.background.is_none()
            && self.aof.rewrite_scheduled
            && !self.aof_rewrite_limited()
        {
            // A scheduled rewrite runs whether the AOF is on or not, as in Redis.
            self.aof.rewrite_scheduled = false;
            if let Err(e) = self.start_aof_rewrite() {
                tracing::warn!("{e}");
            }
            return;
        }
        if self.aof.state == AofState::Off {
            return;
        }
        if self.aof.write_error.is_some() || !self.aof.buf.is_empty() {
            self.flush_aof(false);
            let appended = self.aof.appended;
            self.aof.durable.advance(appended);
        }
        let everysec = self.fsync_policy() == FsyncPolicy::Everysec;
        let aof = &mut self.aof;
        if everysec
            && aof.synced() < aof.written
            && !aof.sync_in_progress()
            && aof.last_fsync.elapsed() >= Duration::from_secs(1)
        {
            aof.last_fsync = Instant::now();
            aof.request_sync();
        }
        let percentage = self.config.auto_aof_rewrite_percentage;
        let base = self.aof.base_size.max(1);
        let growth = (self.aof.current_size * 100 / base).saturating_sub(100);
        if self.aof.rewrite.is_none()
            && self.persistence.background.is_none()
            && self.aof.state == AofState::On
            && percentage > 0
            && self.aof.current_size > self.config.auto_aof_rewrite_min_size as u64
            && growth >= percentage as u64
            && !self.aof_rewrite_limited()
        {
            tracing::info!("Starting automatic rewriting of AOF on {growth}% growth");
            if let Err(e) = self.start_aof_rewrite() {
                tracing::warn!("{e}");
            }
        }
    }

    /// After three rewrites failed in a row, automatic and scheduled ones wait 1, 2, 4… up to
    /// 60 minutes after each failure (Redis's `aofRewriteLimited`); `BGREWRITEAOF` does not.
    fn aof_rewrite_limited(&self) -> bool {
        self.aof
            .rewrite_retry_at
            .is_some_and(|at| Instant::now() < at)
    }

    /// Writes the manifest crash-safely (temporary name, fsync, rename, directory fsync).
    pub fn persist_aof_manifest(&self, manifest: &Manifest) -> io::Result<()> {
        let dir = self.aof_dir();
        let temp = dir.join(temp_manifest_name(&self.config.appendfilename));
        let path = dir.join(manifest_name(&self.config.appendfilename));
        let result = (|| {
            let mut file = File::create(&temp)?;
            file.write_all(&manifest.render())?;
            file.sync_all()?;
            drop(file);
            fs::rename(&temp, &path)?;
            File::open(&dir)?.sync_all()
        })();
        if let Err(e) = &result {
            let _ = fs::remove_file(&temp);
            tracing::warn!(
                "Can't persist the AOF manifest file {}: {e}",
                path.display()
            );
        }
        result
    }

    /// Opens `name` in the AOF directory for appending, emptied first when `truncate`.
    fn open_incr_file(&self, name: &str, truncate: bool) -> io::Result<File> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.aof_dir().join(name))?;
        if truncate {
            file.set_len(0)?;
        }
        Ok(file)
    }

    /// Makes `file` the one writes go to from now on: the old file's last writes are synced
    /// in the background, as Redis does, and the next command written selects its database
    /// again. What was buffered must have been written to the old file first.
    fn use_incr_file(&mut self, file: File) {
        debug_assert!(self.aof.buf.is_empty() || self.aof.file.is_none());
        let size = file.metadata().map_or(0, |m| m.len());
        if let Some(old) = self.aof.file.take() {
            let _ = self.aof.sync.requests.send(SyncRequest {
                file: old,
                offset: self.aof.written,
            });
        }
        self.aof.file = Some(Arc::new(file));
        self.aof.selected_db = None;
        self.aof.incr_size = size;
    }

    /// Writes what is buffered to the current file, then opens `name` and writes to it.
    fn switch_incr(&mut self, name: &str, truncate: bool) -> io::Result<()> {
        // Before the open: the new file may be the current one, emptied by the open.
        self.flush_aof(true);
        let file = self.open_incr_file(name, truncate)?;
        self.use_incr_file(file);
        Ok(())
    }

    /// Turns the AOF on at startup, once the dataset is loaded (`aofOpenIfNeededOnServerStart`):
    /// an empty AOF gets a base file first, then the last incremental file is opened.
    pub fn open_aof_at_startup(&mut self) -> Result<(), String> {
        let dir = self.aof_dir();
        fs::create_dir_all(&dir).map_err(|e| {
            format!(
                "Can't open or create append-only dir {}: {e}",
                dir.display()
            )
        })?;
        let name = self.config.appendfilename.clone();
        let mut manifest = self.aof.manifest.clone();
        if manifest.base.is_none() && manifest.incr.is_empty() {
            let base = manifest.new_base(&name, self.config.aof_use_rdb_preamble);
            self.write_base_now(&dir.join(&base))
                .map_err(|e| format!("Can't write the AOF base file {base}: {e}"))?;
            tracing::info!("Creating AOF base file {base} on server start");
            self.aof.base_size = fs::metadata(dir.join(&base)).map_or(0, |m| m.len());
        }
        let existed = !manifest.incr.is_empty();
        let incr = manifest.last_incr(&name);
        self.aof.manifest = manifest;
        self.switch_incr(&incr, false)
            .map_err(|e| format!("Can't open the append-only file {incr}: {e}"))?;
        self.persist_aof_manifest(&self.aof.manifest.clone())
            .map_err(|e| e.to_string())?;
        if existed {
            tracing::info!("Opening AOF incr file {incr} on server start");
        } else {
            tracing::info!("Creating AOF incr file {incr} on server start");
        }
        self.aof.current_size = self.aof_files_size();
        self.aof.written = 0;
        self.aof.appended = 0;
        self.aof.sync.synced.store(0, Ordering::Release);
        self.aof.state = AofState::On;
        self.keyspace.propagation.set_enabled(true);
        Ok(())
    }

    /// The size of the base and incremental files on disk.
    pub fn aof_files_size(&self) -> u64 {
        let dir = self.aof_dir();
        self.aof
            .manifest
            .to_load()
            .map(|f| fs::metadata(dir.join(&f.name)).map_or(0, |m| m.len()))
            .sum()
    }

    /// Writes the whole keyspace as a base file, blocking (startup with no AOF yet).
    fn write_base_now(&mut self, path: &Path) -> io::Result<()> {
        let options = crate::rdb::save::SaveOptions {
            aof_base: true,
            ..self.save_options()
        };
        let keyspace = &self.keyspace;
        let libraries = self.functions.codes();
        if self.config.aof_use_rdb_preamble {
            crate::rdb::file::write_atomically(path, |out| {
                crate::rdb::save::save_all(keyspace, &libraries, options, out)
            })
        } else {
            let timestamp = self.config.aof_timestamp_enabled.then(unix_seconds);
            crate::rdb::file::write_atomically(path, |mut out| {
                if let Some(now) = timestamp {
                    crate::aof::rewrite::write_timestamp(&mut out, now)?;
                }
                crate::aof::rewrite::write_functions(&mut out, &libraries)?;
                crate::aof::rewrite::write_commands(keyspace, &mut out)?;
                Ok(out)
            })
        }
    }

    /// `BGREWRITEAOF` (`rewriteAppendOnlyFileBackground`): from this moment writes go to a new
    /// incremental file while the keyspace as it is now is saved as the next base file.
    pub fn start_aof_rewrite(&mut self) -> Result<(), String> {
        debug_assert!(self.aof.rewrite.is_none() && self.persistence.background.is_none());
        let dir = self.aof_dir();
        fs::create_dir_all(&dir).map_err(|e| {
            format!(
                "Can't open or create append-only dir {}: {e}",
                dir.display()
            )
        })?;
        let name = self.config.appendfilename.clone();
        let incr_files_before = match self.aof.state {
            AofState::On => {
                // The manifest lists the new file before any write goes to it
                // (`openNewIncrAofForAppend`): a failure leaves writes where they were.
                let mut manifest = self.aof.manifest.clone();
                let incr = manifest.new_incr(&name);
                self.flush_aof(true);
                let file = self
                    .open_incr_file(&incr, true)
                    .map_err(|e| format!("Can't open the append-only file {incr}: {e}"))?;
                if let Err(e) = self.persist_aof_manifest(&manifest) {
                    drop(file);
                    let _ = fs::remove_file(dir.join(&incr));
                    return Err(e.to_string());
                }
                self.use_incr_file(file);
                tracing::info!("Creating AOF incr file {incr} on background rewrite");
                self.aof.manifest = manifest;
                self.aof.manifest.incr.len() - 1
            }
            AofState::WaitRewrite => {
                let incr = temp_incr_name(&name);
                self.switch_incr(&incr, true)
                    .map_err(|e| format!("Can't open the append-only file {incr}: {e}"))?;
                self.aof.manifest.incr.len()
            }
            AofState::Off => self.aof.manifest.incr.len(),
        };
        let temp = dir.join(format!("temp-rewriteaof-bg-{}.aof", std::process::id()));
        let rdb = self.config.aof_use_rdb_preamble;
        let options = crate::rdb::save::SaveOptions {
            aof_base: true,
            ..self.save_options()
        };
        let sizes = self
            .keyspace
            .dbs
            .iter()
            .map(|db| (db.len(), db.expires_len()))
            .collect();
        let timestamp = self.config.aof_timestamp_enabled.then(unix_seconds);
        let libraries = self.functions.codes();
        let started = File::create(&temp).and_then(|mut file| {
            if rdb {
                FileSink::start(file, options, sizes, &libraries)
                    .map(|sink| Box::new(sink) as Box<dyn crate::db::snapshot::KeySink>)
            } else {
                if let Some(now) = timestamp {
                    crate::aof::rewrite::write_timestamp(&mut file, now)?;
                }
                crate::aof::rewrite::write_functions(&mut file, &libraries)?;
                crate::aof::rewrite::CommandSink::start(file)
                    .map(|sink| Box::new(sink) as Box<dyn crate::db::snapshot::KeySink>)
            }
        });
        let failed = match started {
            Ok(sink) => {
                self.keyspace.begin_snapshot(sink);
                None
            }
            Err(e) => Some(e),
        };
        self.aof.rewrite = Some(Rewrite { incr_files_before });
        self.persistence.background = Some(BackgroundSave {
            temp,
            started: Instant::now(),
            dirty_at_start: self.keyspace.stats.dirty,
            failed,
            cancelled: Arc::new(Mutex::new(false)),
            target: SaveTarget::AofBase { rdb },
        });
        self.persistence.wake.notify_one();
        tracing::info!("Background append only file rewriting started");
        Ok(())
    }

    /// Where a finished rewrite's file goes: the next base file's path (not yet in the
    /// manifest).
    pub fn next_base_path(&self, rdb: bool) -> PathBuf {
        let mut manifest = self.aof.manifest.clone();
        let name = manifest.new_base(&self.config.appendfilename, rdb);
        self.aof_dir().join(name)
    }

    /// Records how a rewrite ended (`backgroundRewriteDoneHandler`): on success the new base
    /// and the files written since it began become the AOF; the older files become history
    /// and are deleted.
    pub fn aof_rewrite_done(&mut self, result: io::Result<()>, rdb: bool, seconds: i64) {
        let Some(rewrite) = self.aof.rewrite.take() else {
            return;
        };
        self.aof.last_rewrite_seconds = seconds;
        let installed = result.and_then(|()| self.install_rewrite(&rewrite, rdb));
        match installed {
            Ok(()) => {
                self.aof.last_rewrite_ok = true;
                self.aof.rewrites += 1;
                self.aof.rewrite_failures = 0;
                self.aof.rewrite_retry_at = None;
                tracing::info!("Background AOF rewrite terminated with success");
                tracing::info!("Background AOF rewrite finished successfully");
            }
            Err(e) => {
                self.aof.last_rewrite_ok = false;
                self.aof.rewrite_failures += 1;
                if self.aof.rewrite_failures >= 3 {
                    let minutes = 1u64 << (self.aof.rewrite_failures - 3).min(6);
                    let delay = Duration::from_secs(60 * minutes.min(60));
                    self.aof.rewrite_retry_at = Some(Instant::now() + delay);
                    tracing::warn!(
                        "Background AOF rewrite has repeatedly failed and triggered the limit, \
                         will retry in {} minutes",
                        delay.as_secs() / 60
                    );
                }
                tracing::warn!("Background AOF rewrite failed: {e}");
                if self.aof.state == AofState::WaitRewrite {
                    // Writes go on collecting in the temporary file until a rewrite works.
                    self.aof.rewrite_scheduled = true;
                }
            }
        }
    }

    fn install_rewrite(&mut self, rewrite: &Rewrite, rdb: bool) -> io::Result<()> {
        let dir = self.aof_dir();
        let name = self.config.appendfilename.clone();
        let mut manifest = self.aof.manifest.clone();
        let base = manifest.new_base(&name, rdb);
        if self.aof.state == AofState::WaitRewrite {
            // The temporary incremental file becomes the first real one.
            let incr = manifest.new_incr(&name);
            fs::rename(dir.join(temp_incr_name(&name)), dir.join(&incr))?;
            manifest.incr_to_history(1);
        } else {
            manifest.incr_to_history(
                manifest.incr.len() - rewrite.incr_files_before.min(manifest.incr.len()),
            );
        }
        self.persist_aof_manifest(&manifest)?;
        self.aof.manifest = manifest;
        self.aof.base_size = fs::metadata(dir.join(&base)).map_or(0, |m| m.len());
        self.aof.current_size = self.aof_files_size();
        if self.aof.state == AofState::WaitRewrite {
            self.aof.state = AofState::On;
            tracing::info!("Background AOF rewrite finished successfully");
        }
        self.delete_aof_history();
        Ok(())
    }

    /// Deletes the files the manifest lists as history (`aofDelHistoryFiles`), unless
    /// `aof-disable-auto-gc`.
    fn delete_aof_history(&mut self) {
        if self.config.aof_disable_auto_gc || self.aof.manifest.history.is_empty() {
            return;
        }
        let dir = self.aof_dir();
        for file in std::mem::take(&mut self.aof.manifest.history) {
            tracing::info!("Removing the history file {} in the background", file.name);
            let _ = fs::remove_file(dir.join(&file.name));
        }
        let _ = self.persist_aof_manifest(&self.aof.manifest.clone());
    }

    /// `CONFIG SET appendonly yes` (`startAppendOnly`): writes collect in a temporary file
    /// while the first base file is written.
    pub fn start_append_only(&mut self) -> Result<(), String> {
        if self.aof.state != AofState::Off {
            return Ok(());
        }
        // A rewrite started while the AOF was off took its snapshot before writes were
        // recorded: it starts again (Redis kills that child).
        if self.aof.rewrite.is_some() {
            self.abort_background_save();
        }
        self.aof.state = AofState::WaitRewrite;
        self.keyspace.propagation.set_enabled(true);
        if self.persistence.background.is_some() {
            self.aof.rewrite_scheduled = true;
            tracing::info!(
                "AOF was enabled but there is already another background operation. An AOF \
                 background was scheduled to start when possible."
            );
            // Writes collect in the temporary file from now on.
            let dir = self.aof_dir();
            fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            let temp = temp_incr_name(&self.config.appendfilename);
            return self
                .switch_incr(&temp, true)
                .map_err(|e| format!("Can't open the append-only file {temp}: {e}"));
        }
        if let Err(e) = self.start_aof_rewrite() {
            self.aof.state = AofState::Off;
            self.update_propagation();
            return Err(format!(
                "Redis needs to enable the AOF but can't trigger a background AOF rewrite \
                 operation. Check the above logs for more info about the error: {e}"
            ));
        }
        Ok(())
    }

    /// `CONFIG SET appendonly no` (`stopAppendOnly`): the last writes are synced and the file
    /// closed; a rewrite in progress is abandoned.
    pub fn stop_append_only(&mut self) {
        if self.aof.state == AofState::Off {
            return;
        }
        self.flush_aof(true);
        // What could not be written (a failing disk) is dropped: a later `appendonly yes`
        // starts from a new base that has it.
        self.aof.buf = Vec::new();
        self.aof.write_error = None;
        if let Some(file) = self.aof.file.take() {
            let _ = file.sync_data();
        }
        if self.aof.rewrite.is_some() {
            self.abort_background_save();
            self.aof.rewrite = None;
            tracing::info!("Killing running AOF rewrite child");
        }
        self.aof.state = AofState::Off;
        self.aof.rewrite_scheduled = false;
        self.aof.selected_db = None;
        self.update_propagation();
        let appended = self.aof.appended;
        self.aof.durable.advance(appended);
    }

    /// A replica loaded its master's snapshot (`restartAOFAfterSYNC`): the AOF, if on, starts
    /// again from a new base holding that dataset.
    pub fn replica_synced_restart_aof(&mut self) {
        if self.aof.state == AofState::Off {
            return;
        }
        self.stop_append_only();
        if let Err(e) = self.start_append_only() {
            tracing::warn!(
                "Failed enabling the AOF after successful master synchronization! Trying it \
                 again in one second: {e}"
            );
        }
    }

    /// Before exiting: everything buffered is written and synced (`prepareForShutdown`).
    pub fn aof_before_exit(&mut self) {
        if self.aof.state == AofState::Off {
            return;
        }
        tracing::info!("Calling fsync() on the AOF file.");
        self.flush_aof(true);
        if let Some(file) = &self.aof.file {
            let _ = file.sync_data();
        }
        // Connections waiting for the flusher (stopped by now) deliver their replies.
        let appended = self.aof.appended;
        self.aof.durable.advance(appended);
    }

    /// `aof_last_write_status` and the error writes are refused with while it is `err`.
    pub fn aof_write_refused(&self) -> Option<String> {
        if self.aof.state == AofState::Off {
            return None;
        }
        if let Some(error) = &self.aof.write_error {
            return Some(error.clone());
        }
        self.aof
            .sync
            .failed
            .load(Ordering::Acquire)
            .then(|| "Input/output error".to_string())
    }
}

/// Appends one operation, preceded by a `SELECT` when it is for another database than the
/// file's last, and by a `#TS:` annotation once a second when they are on
/// (`feedAppendOnlyFile`).
fn feed(aof: &mut Aof, db: usize, text: &[u8], timestamps: bool) {
    if timestamps {
        let now = unix_seconds();
        if aof.last_timestamp < now {
            aof.last_timestamp = now;
            aof.buf
                .extend_from_slice(format!("#TS:{now}\r\n").as_bytes());
        }
    }
    if aof.selected_db != Some(db) {
        let mut int = itoa::Buffer::new();
        encode_command(
            &mut aof.buf,
            [&b"SELECT"[..], int.format(db).as_bytes()].into_iter(),
        );
        aof.selected_db = Some(db);
    }
    aof.buf.extend_from_slice(text);
}

/// An I/O error as C's `strerror` words it (Rust adds " (os error N)").
fn strerror(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}
