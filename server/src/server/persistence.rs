//! The server's RDB file, `dir`/`dbfilename`: saving the keyspace to it, loading it back at
//! startup and on `DEBUG RELOAD`, and what `INFO persistence` reports about both. The format
//! itself is `crate::rdb`; this file adds what needs the server's configuration and clocks.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::Server;
use crate::rdb::file::write_atomically;
use crate::rdb::load::{LoadOptions, LoadReport, load};
use crate::rdb::save::{AccessInfo, SaveOptions, save_all};
use crate::types::hash::HashLimits;
use crate::types::list::ListLimit;
use crate::types::set::SetLimits;
use crate::types::zset::ZSetLimits;

/// What `INFO persistence` reports about saves and loads.
#[derive(Debug, Clone)]
pub struct Persistence {
    /// Unix seconds of the last successful save (`lastsave`); the start time before any.
    pub last_save: u64,
    /// Saves attempted (`stat_rdb_saves`).
    pub saves: u64,
    /// Whether the last save succeeded (`rdb_last_bgsave_status`).
    pub last_save_ok: bool,
    pub last_load_keys_loaded: u64,
    pub last_load_keys_expired: u64,
}

impl Default for Persistence {
    fn default() -> Self {
        Persistence {
            last_save: unix_seconds(),
            saves: 0,
            last_save_ok: true,
            last_load_keys_loaded: 0,
            last_load_keys_expired: 0,
        }
    }
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
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

    fn save_options(&self) -> SaveOptions {
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

    /// `SAVE`: writes the whole keyspace to the RDB file, blocking (`rdbSave`). On success the
    /// change counter restarts; on failure the old file stays and the status says so.
    pub fn save_rdb(&mut self) -> io::Result<()> {
        self.persistence.saves += 1;
        let options = self.save_options();
        let path = self.rdb_path();
        let keyspace = &self.keyspace;
        let result = write_atomically(&path, |out| save_all(keyspace, options, out));
        match &result {
            Ok(()) => {
                tracing::info!("DB saved on disk");
                self.keyspace.stats.dirty = 0;
                self.persistence.last_save = unix_seconds();
                self.persistence.last_save_ok = true;
            }
            Err(e) => {
                tracing::warn!("Write error saving DB on disk: {e}");
                self.persistence.last_save_ok = false;
            }
        }
        result
    }

    /// Loads the RDB file into the keyspace (`rdbLoad`). A missing file loads nothing
    /// (`Ok(None)`). On an error nothing loaded stays, and the message names the file and the
    /// offset of the damage.
    pub fn load_rdb(&mut self, mode: LoadMode) -> Result<Option<LoadReport>, String> {
        let path = self.rdb_path();
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot open {}: {e}", path.display())),
        };
        let options = LoadOptions {
            list: self.list_limit(),
            hash: self.hash_limits(),
            set: self.set_limits(),
            zset: self.zset_limits(),
            now_ms: crate::db::access::unix_ms(),
            drop_expired: true,
            replace_existing: mode == LoadMode::Merge,
        };
        let started = Instant::now();
        match load(
            BufReader::with_capacity(1 << 20, file),
            &mut self.keyspace,
            &options,
        ) {
            Ok(report) => {
                log_aux(&report);
                tracing::info!(
                    "Done loading RDB, keys loaded: {}, keys expired: {}.",
                    report.keys_loaded,
                    report.keys_expired
                );
                tracing::info!(
                    "DB loaded from disk: {:.3} seconds",
                    started.elapsed().as_secs_f64()
                );
                self.persistence.last_load_keys_loaded = report.keys_loaded;
                self.persistence.last_load_keys_expired = report.keys_expired;
                Ok(Some(report))
            }
            Err(e) => {
                for db in 0..self.keyspace.dbs.len() {
                    self.keyspace.flush_db(db, false);
                }
                Err(format!(
                    "Short read or corrupt RDB file {}: {e}",
                    path.display()
                ))
            }
        }
    }
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
