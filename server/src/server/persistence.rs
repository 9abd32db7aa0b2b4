//! The server's RDB file, `dir`/`dbfilename`: saving the keyspace to it, loading it back at
//! startup and on `DEBUG RELOAD`, and what `INFO persistence` reports about both. The format
//! itself is `crate::rdb`; this file adds what needs the server's configuration and clocks.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::Server;
use crate::rdb::file::write_atomically;
use crate::rdb::load::{LoadOptions, LoadReport, Loader};
use crate::rdb::save::{AccessInfo, SaveOptions, save_all};
use crate::rdb::snapshot::{FileSink, FinishingSave};

/// A finished walk's file on its way to disk: an RDB stream the writer thread is finishing,
/// or an AOF-format base file.
pub enum Finishing {
    Rdb(FinishingSave),
    Commands(Box<crate::aof::rewrite::CommandSink>),
}

impl Finishing {
    /// Waits for the file to be written; blocks, so it runs off the command thread.
    pub fn wait(self) -> io::Result<File> {
        match self {
            Finishing::Rdb(save) => save.wait(),
            Finishing::Commands(sink) => sink.finish(),
        }
    }
}
use crate::types::hash::HashLimits;
use crate::types::list::ListLimit;
use crate::types::set::SetLimits;
use crate::types::zset::ZSetLimits;

/// Saves and loads of the RDB file, as `INFO persistence` reports them.
#[derive(Debug)]
pub struct Persistence {
    /// Unix seconds of the last successful save (`lastsave`); the start time before any.
    pub last_save: u64,
    /// Saves attempted (`stat_rdb_saves`).
    pub saves: u64,
    /// Whether the last background save (or `SAVE` that succeeded) went well
    /// (`rdb_last_bgsave_status`).
    pub last_save_ok: bool,
    pub last_load_keys_loaded: u64,
    pub last_load_keys_expired: u64,
    /// The load in progress (`loading:1`): commands without the `loading` flag are refused.
    pub loading: Option<LoadingProgress>,
    /// The background save in progress.
    pub background: Option<BackgroundSave>,
    /// Seconds the last background save took (`rdb_last_bgsave_time_sec`), -1 before any.
    pub last_background_seconds: i64,
    /// Unix seconds of the last attempt to start a background save (`lastbgsave_try`).
    pub last_background_try: u64,
    /// A `BGSAVE` asked for while one could not start (`rdb_bgsave_scheduled`).
    pub background_scheduled: bool,
    /// Wakes the task that drives background saves.
    pub wake: Rc<tokio::sync::Notify>,
}

/// A background save under way.
#[derive(Debug)]
pub struct BackgroundSave {
    /// The temporary file it writes, renamed over the RDB file when done.
    pub temp: PathBuf,
    pub started: Instant,
    /// The change counter when it started: what it covers.
    pub dirty_at_start: u64,
    /// Why it could not start writing; reported when it ends, as a failed child would be.
    pub failed: Option<io::Error>,
    /// Set when the save is abandoned: the thread that installs the file then leaves the RDB
    /// file alone (see `rdb::file::install`).
    pub cancelled: Arc<Mutex<bool>>,
    /// What the file is for.
    pub target: SaveTarget,
}

/// What a background save writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveTarget {
    /// The RDB file (`BGSAVE`, save points).
    Rdb,
    /// The AOF's next base file (a rewrite), in RDB format or as commands.
    AofBase { rdb: bool },
}

impl Default for Persistence {
    fn default() -> Self {
        Persistence {
            last_save: unix_seconds(),
            saves: 0,
            last_save_ok: true,
            last_load_keys_loaded: 0,
            last_load_keys_expired: 0,
            loading: None,
            background: None,
            last_background_seconds: -1,
            last_background_try: 0,
            background_scheduled: false,
            wake: Rc::new(tokio::sync::Notify::new()),
        }
    }
}

pub(crate) fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A load of the RDB file under way, as `INFO persistence` reports it (`loading_*`).
#[derive(Debug, Clone)]
pub struct LoadingProgress {
    /// Unix seconds it began.
    pub start_time: u64,
    /// The file's size.
    pub total_bytes: u64,
    pub loaded_bytes: u64,
    /// The `used-mem` AUX field once read (0 before).
    pub rdb_used_mem: u64,
}

/// An RDB load in progress: the file being read, driven by [`Server::load_step`].
pub struct RdbLoad {
    loader: Loader<BufReader<File>>,
    path: PathBuf,
    options: LoadOptions,
    started: Instant,
}

impl RdbLoad {
    /// The offset read up to (the end of the RDB stream once loaded).
    pub fn offset(&self) -> u64 {
        self.loader.offset()
    }
}

/// How a load treats what is already in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    /// A key already present is an error (startup, `DEBUG RELOAD`).
    Strict,
    /// A key in the file replaces the one in memory (`DEBUG RELOAD MERGE`).
    Merge,
}

impl Server {
    /// Where the RDB file lives.
    pub fn rdb_path(&self) -> PathBuf {
        PathBuf::from(&self.config.dir).join(&self.config.dbfilename)
    }

    pub fn hash_limits(&self) -> HashLimits {
        HashLimits {
            entries: self.config.hash_max_listpack_entries as usize,
            value: self.config.hash_max_listpack_value as usize,
        }
    }

    pub fn set_limits(&self) -> SetLimits {
        SetLimits {
            intset_entries: self.config.set_max_intset_entries as usize,
            listpack_entries: self.config.set_max_listpack_entries as usize,
            listpack_value: self.config.set_max_listpack_value as usize,
        }
    }

    pub fn zset_limits(&self) -> ZSetLimits {
        ZSetLimits {
            entries: self.config.zset_max_listpack_entries as usize,
            value: self.config.zset_max_listpack_value as usize,
        }
    }

    pub fn list_limit(&self) -> ListLimit {
        ListLimit {
            size: self.config.list_max_listpack_size,
            plain_threshold: self.list_plain_threshold,
        }
    }

    /// How a save or a `DUMP` writes, from the configuration.
    pub fn save_options(&self) -> SaveOptions {
        let policy = self.config.maxmemory_policy;
        SaveOptions {
            compression: self.config.rdbcompression,
            checksum: self.config.rdbchecksum,
            access: if policy.is_lru() {
                AccessInfo::Idle
            } else if policy.is_lfu() {
                AccessInfo::Frequency
            } else {
                AccessInfo::None
            },
            plain_threshold: self.list_plain_threshold,
            used_memory: zmalloc::used_memory() as u64,
            ctime: unix_seconds(),
            aof_base: false,
        }
    }

    /// How a load or a `RESTORE` builds values, from the configuration.
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            list: self.list_limit(),
            hash: self.hash_limits(),
            set: self.set_limits(),
            zset: self.zset_limits(),
            now_ms: crate::db::access::unix_ms(),
            drop_expired: true,
            replace_existing: false,
        }
    }

    /// `SAVE`: writes the whole keyspace to the RDB file, blocking (`rdbSave`). On success the
    /// change counter restarts and the status is ok; on failure the old file stays.
    pub fn save_rdb(&mut self) -> io::Result<()> {
        self.persistence.saves += 1;
        let options = self.save_options();
        let path = self.rdb_path();
        let keyspace = &self.keyspace;
        let libraries = self.functions.codes();
        let result = write_atomically(&path, |out| save_all(keyspace, &libraries, options, out));
        match &result {
            Ok(()) => {
                tracing::info!("DB saved on disk");
                self.keyspace.stats.dirty = 0;
                self.persistence.last_save = unix_seconds();
                self.persistence.last_save_ok = true;
            }
            Err(e) => tracing::warn!("Write error saving DB on disk: {e}"),
        }
        result
    }

    /// Starts a background save (`rdbSaveBackground`): the keyspace as it is now goes to a
    /// temporary file while commands go on; the save-driving task does the walking. A file
    /// that cannot be created fails the save when it ends, as a failing child does in Redis.
    pub fn start_background_save(&mut self) {
        debug_assert!(self.persistence.background.is_none());
        self.persistence.saves += 1;
        self.persistence.last_background_try = unix_seconds();
        let dir = PathBuf::from(&self.config.dir);
        let temp = dir.join(format!("temp-bgsave-{}.rdb", std::process::id()));
        let sizes = self
            .keyspace
            .dbs
            .iter()
            .map(|db| (db.len(), db.expires_len()))
            .collect();
        let started = File::create(&temp).and_then(|file| {
            FileSink::start(file, self.save_options(), sizes, &self.functions.codes())
        });
        let failed = match started {
            Ok(sink) => {
                self.keyspace.begin_snapshot(Box::new(sink));
                None
            }
            Err(e) => Some(e),
        };
        self.persistence.background = Some(BackgroundSave {
            temp,
            started: Instant::now(),
            dirty_at_start: self.keyspace.stats.dirty,
            failed,
            cancelled: Arc::new(Mutex::new(false)),
            target: SaveTarget::Rdb,
        });
        self.persistence.wake.notify_one();
        tracing::info!("Background saving started");
    }

    /// Moves the background save `budget` table slots further. When the walk is complete it
    /// returns the save's last part (to be waited for, synced and renamed off the command
    /// thread) or the error that ended the save.
    pub fn background_save_step(&mut self, budget: usize) -> Option<io::Result<Finishing>> {
        let background = self.persistence.background.as_mut()?;
        if let Some(e) = background.failed.take() {
            return Some(Err(e));
        }
        if !self.keyspace.snapshot_step(budget) {
            return None;
        }
        let sink = self.keyspace.end_snapshot()?.into_any();
        let finishing = match sink.downcast::<FileSink>() {
            Ok(sink) => sink.finish().map(Finishing::Rdb),
            Err(other) => {
                let sink = other
                    .downcast::<crate::aof::rewrite::CommandSink>()
                    .expect("the server's snapshots write to a FileSink or a CommandSink");
                Ok(Finishing::Commands(sink))
            }
        };
        Some(finishing)
    }

    /// Where the background save's file goes once finished.
    pub fn background_save_path(&self) -> Option<PathBuf> {
        let background = self.persistence.background.as_ref()?;
        Some(match background.target {
            SaveTarget::Rdb => self.rdb_path(),
            SaveTarget::AofBase { rdb } => self.next_base_path(rdb),
        })
    }

    /// Records how a background save ended (`backgroundSaveDoneHandler`).
    pub fn background_save_done(&mut self, result: io::Result<()>) {
        let Some(save) = self.persistence.background.take() else {
            return;
        };
        if let SaveTarget::AofBase { rdb } = save.target {
            if result.is_err() {
                let _ = std::fs::remove_file(&save.temp);
            }
            let seconds = save.started.elapsed().as_secs() as i64;
            self.aof_rewrite_done(result, rdb, seconds);
            // Replicas waiting for a save get theirs now.
            self.start_pending_syncs();
            return;
        }
        self.persistence.last_background_seconds = save.started.elapsed().as_secs() as i64;
        let ok = result.is_ok();
        match result {
            Ok(()) => {
                tracing::info!("DB saved on disk");
                tracing::info!("Background saving terminated with success");
                self.keyspace.stats.dirty = self
                    .keyspace
                    .stats
                    .dirty
                    .saturating_sub(save.dirty_at_start);
                self.persistence.last_save = unix_seconds();
                self.persistence.last_save_ok = true;
            }
            Err(e) => {
                tracing::warn!("Background saving error: {e}");
                let _ = std::fs::remove_file(&save.temp);
                self.persistence.last_save_ok = false;
            }
        }
        self.replication_save_done(ok);
    }

    /// Stops a background save without a result (`FLUSHALL`, `SHUTDOWN`, as Redis kills its
    /// child): the temporary file goes, the status stays as it was.
    pub fn abort_background_save(&mut self) {
        if let Some(save) = self.persistence.background.take() {
            if save.target != SaveTarget::Rdb {
                self.aof.rewrite = None;
            }
            *save.cancelled.lock().unwrap_or_else(|e| e.into_inner()) = true;
            self.keyspace.abort_snapshot();
            let _ = std::fs::remove_file(&save.temp);
            tracing::warn!("Background saving aborted");
            // Replicas waiting for it are dropped, as when Redis's child is killed; they
            // reconnect and ask again.
            if save.target == SaveTarget::Rdb {
                self.replication_save_done(false);
            }
        }
    }

    /// Before a shutdown on a signal: saves if the signal's parameter says `save`, or says
    /// neither `save` nor `nosave` and save points are set (Redis's `prepareForShutdown`).
    /// Returns whether the server may exit: a failed save keeps it running unless the
    /// parameter says `force`.
    pub fn prepare_signal_shutdown(&mut self, parameter: &str) -> bool {
        let flags = self
            .config
            .stored
            .get(parameter)
            .cloned()
            .unwrap_or_default();
        let has = |flag: &str| flags.split_whitespace().any(|f| f == flag);
        crate::process::shutdown_requested();
        let save = has("save") || (!has("nosave") && !self.config.save_params.is_empty());
        // A save during a load would write the half-read dataset over the file (Redis exits
        // without saving then).
        if !save || self.persistence.loading.is_some() {
            return true;
        }
        self.abort_background_save();
        tracing::info!("Saving the final RDB snapshot before exiting.");
        crate::process::notify_supervisor("STATUS=Saving the final RDB snapshot");
        match self.save_rdb() {
            Ok(()) => true,
            Err(e) if has("force") => {
                tracing::warn!("Error trying to save the DB: {e}; exiting anyway (force)");
                true
            }
            Err(e) => {
                crate::process::notify_supervisor(
                    "STATUS=Error trying to save the DB, can't exit.",
                );
                tracing::warn!(
                    "Error trying to save the DB, can't exit: {e}. {} received but errors \
                     trying to shut down the server, check the logs for more information",
                    if parameter.ends_with("sigint") {
                        "SIGINT"
                    } else {
                        "SIGTERM"
                    }
                );
                false
            }
        }
    }

    /// Whether a background save of the RDB file (not an AOF rewrite) is under way.
    pub fn rdb_save_in_progress(&self) -> bool {
        self.persistence
            .background
            .as_ref()
            .is_some_and(|b| b.target == SaveTarget::Rdb)
    }

    /// Whether writes are refused because the last background save failed
    /// (`stop-writes-on-bgsave-error` with save points set).
    pub fn writes_refused_by_disk_error(&self) -> bool {
        self.config.stop_writes_on_bgsave_error
            && !self.config.save_params.is_empty()
            && !self.persistence.last_save_ok
    }

    /// The cron's check of the save points (and of a scheduled `BGSAVE`): starts a background
    /// save when one is due (`serverCron`).
    pub fn save_points_due(&mut self) {
        if self.persistence.background.is_some() {
            return;
        }
        if self.persistence.background_scheduled {
            self.persistence.background_scheduled = false;
            self.start_background_save();
            return;
        }
        let now = unix_seconds();
        let dirty = self.keyspace.stats.dirty;
        let since_save = now.saturating_sub(self.persistence.last_save);
        let retry_ok = now.saturating_sub(self.persistence.last_background_try) > 5
            || self.persistence.last_save_ok;
        let due = self
            .config
            .save_params
            .iter()
            .find(|&&(seconds, changes)| dirty >= changes && since_save > seconds && retry_ok)
            .copied();
        if let Some((seconds, changes)) = due {
            tracing::info!("{changes} changes in {seconds} seconds. Saving...");
            self.start_background_save();
        }
    }

    /// Loads the RDB file into the keyspace (`rdbLoad`) in one go. A missing file loads
    /// nothing (`Ok(None)`). On an error nothing loaded stays, and the message names the file
    /// and the offset of the damage.
    pub fn load_rdb(&mut self, mode: LoadMode) -> Result<Option<LoadReport>, String> {
        let Some(mut load) = self.begin_load(mode)? else {
            return Ok(None);
        };
        loop {
            if let Some(report) = self.load_step(&mut load, u64::MAX, u64::MAX)? {
                return Ok(Some(report));
            }
        }
    }

    /// Opens the RDB file and starts loading it: `INFO` reports `loading:1` until
    /// [`load_step`](Self::load_step) finishes it. `Ok(None)` when there is no file.
    pub fn begin_load(&mut self, mode: LoadMode) -> Result<Option<RdbLoad>, String> {
        let path = self.rdb_path();
        self.begin_load_file(&path, mode, true)
    }

    /// [`Self::begin_load`] for the RDB file at `path`. An AOF's base file keeps its expired
    /// keys (`drop_expired` false), as Redis loads a preamble: the commands after it may still
    /// meet them.
    pub fn begin_load_file(
        &mut self,
        path: &std::path::Path,
        mode: LoadMode,
        drop_expired: bool,
    ) -> Result<Option<RdbLoad>, String> {
        let path = path.to_path_buf();
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot open {}: {e}", path.display())),
        };
        let total_bytes = file.metadata().map_or(0, |m| m.len());
        let options = LoadOptions {
            replace_existing: mode == LoadMode::Merge,
            drop_expired,
            ..self.load_options()
        };
        let loader = Loader::start(BufReader::with_capacity(1 << 20, file))
            .map_err(|e| corrupt(&path, e))?;
        self.persistence.loading = Some(LoadingProgress {
            start_time: unix_seconds(),
            total_bytes,
            loaded_bytes: loader.offset(),
            rdb_used_mem: 0,
        });
        Ok(Some(RdbLoad {
            loader,
            path,
            options,
            started: Instant::now(),
        }))
    }

    /// Loads up to `keys` keys or `bytes` bytes more. Returns the report once the file is in;
    /// on an error the keyspace is emptied (a half-read file is never served) and the message
    /// names the file and the offset.
    pub fn load_step(
        &mut self,
        load: &mut RdbLoad,
        keys: u64,
        bytes: u64,
    ) -> Result<Option<LoadReport>, String> {
        let stepped = load
            .loader
            .step(&mut self.keyspace, &load.options, keys, bytes);
        match stepped {
            Ok(false) => {
                if let Some(progress) = &mut self.persistence.loading {
                    progress.loaded_bytes = load.loader.offset();
                    if progress.rdb_used_mem == 0 {
                        progress.rdb_used_mem = used_mem_aux(load.loader.report());
                    }
                }
                Ok(None)
            }
            Ok(true) => {
                self.persistence.loading = None;
                let libraries = load.loader.take_libraries();
                let replace = load.options.replace_existing;
                if let Err(e) = self.load_libraries(libraries, replace) {
                    for db in 0..self.keyspace.dbs.len() {
                        self.keyspace.flush_db(db, false);
                    }
                    return Err(format!(
                        "Failed loading library, {e} (RDB file {})",
                        load.path.display()
                    ));
                }
                let report = load.loader.report().clone();
                log_aux(&report);
                tracing::info!(
                    "Done loading RDB, keys loaded: {}, keys expired: {}.",
                    report.keys_loaded,
                    report.keys_expired
                );
                tracing::info!(
                    "DB loaded from disk: {:.3} seconds",
                    load.started.elapsed().as_secs_f64()
                );
                self.persistence.last_load_keys_loaded = report.keys_loaded;
                self.persistence.last_load_keys_expired = report.keys_expired;
                Ok(Some(report))
            }
            Err(e) => {
                self.persistence.loading = None;
                for db in 0..self.keyspace.dbs.len() {
                    self.keyspace.flush_db(db, false);
                }
                Err(corrupt(&load.path, e))
            }
        }
    }
}

/// The message of a load that failed at `e`.
fn corrupt(path: &std::path::Path, e: crate::rdb::read::ReadError) -> String {
    format!("Short read or corrupt RDB file {}: {e}", path.display())
}

/// The `used-mem` AUX field read so far, 0 before it.
fn used_mem_aux(report: &LoadReport) -> u64 {
    report
        .aux
        .iter()
        .find(|(name, _)| name == b"used-mem")
        .and_then(|(_, value)| std::str::from_utf8(value).ok()?.parse().ok())
        .unwrap_or(0)
}

/// Redis's log lines about the file's origin.
fn log_aux(report: &LoadReport) {
    for (name, value) in &report.aux {
        let value = String::from_utf8_lossy(value);
        match name.as_slice() {
            b"redis-ver" => tracing::info!("Loading RDB produced by version {value}"),
            b"ctime" => {
                if let Ok(ctime) = value.parse::<u64>() {
                    let age = unix_seconds().saturating_sub(ctime);
                    tracing::info!("RDB age {age} seconds");
                }
            }
            b"used-mem" => {
                if let Ok(bytes) = value.parse::<u64>() {
                    tracing::info!(
                        "RDB memory usage when created {:.2} Mb",
                        bytes as f64 / (1024.0 * 1024.0)
                    );
                }
            }
            _ => {}
        }
    }
}
