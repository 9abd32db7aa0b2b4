//! Loading the append-only file (Redis's `loadAppendOnlyFiles`): the base file, then each
//! incremental file in the manifest's order, the commands run by a client of their own
//! through the command table, as Redis's AOF client runs them (no checks, no replies kept,
//! nothing propagated).
//!
//! A file that ends inside a command is cut back to its last complete command when it is the
//! last file and `aof-load-truncated` allows, logged as Redis logs it; anything else that is
//! wrong stops the load with a message naming the file and the offset, and the keyspace is
//! emptied so a half-loaded dataset is never served. A transaction the file does not finish
//! is dropped, as Redis drops it.

use std::fs::{self, File};
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{Ctx, call, flags, table};
use crate::aof::commands::{CommandReader, ReadError};
use crate::aof::manifest::{Manifest, manifest_name};
use crate::client::Client;
use crate::protocol::OwnedArgs;
use crate::protocol::reply::Reply;
use crate::server::Server;
use crate::server::persistence::{LoadMode, LoadingProgress, RdbLoad};

/// Redis's id for the AOF client (`CLIENT_ID_AOF`).
pub(super) const AOF_CLIENT_ID: u64 = u64::MAX;
/// Commands run between two turns of answering clients.
pub const COMMANDS_PER_STEP: usize = 1024;

/// How loading the AOF ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Loaded {
    /// There was no AOF: nothing loaded (the RDB file is not read either, as in Redis).
    NotExist,
    /// The files hold nothing.
    Empty,
    Ok,
}

/// The file being read.
enum Reading {
    /// A base file in RDB format.
    Rdb {
        load: Box<RdbLoad>,
        path: PathBuf,
    },
    Commands(Box<CommandFile>),
}

struct CommandFile {
    name: String,
    path: PathBuf,
    reader: CommandReader<BufReader<File>>,
    /// The offset after the last command run, and before the open `MULTI`.
    valid_up_to: u64,
    valid_before_multi: u64,
    started: Instant,
    kind: &'static str,
}

/// An AOF load in progress, driven by [`AofLoad::step`].
pub struct AofLoad {
    dir: PathBuf,
    /// The files left to read (name, base?) after the current one.
    files: Vec<(String, bool)>,
    reading: Option<Reading>,
    client: Client,
    load_truncated: bool,
    /// Whether propagation was on before the load (`DEBUG LOADAOF` with the AOF on).
    propagating: bool,
    base_size: u64,
}

/// Reads the manifest in `dir` (`aofLoadManifestFromDisk`); no directory or no manifest is an
/// empty manifest.
pub fn read_manifest(dir: &Path, appendfilename: &str) -> Result<Manifest, String> {
    let path = dir.join(manifest_name(appendfilename));
    let text = match fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Manifest::default()),
        Err(e) => {
            return Err(format!(
                "Fatal error: can't open the AOF manifest file {} for reading: {e}",
                path.display()
            ));
        }
    };
    Manifest::parse(&text).map_err(|e| {
        let mut message = String::from("*** FATAL AOF MANIFEST FILE ERROR *** ");
        if let Some((line, text)) = &e.line {
            message.push_str(&format!(
                "Reading the manifest file, at line {line}: '{text}': "
            ));
        }
        message.push_str(e.reason);
        message
    })
}

impl AofLoad {
    /// Starts loading the AOF the server's manifest lists. A legacy single-file AOF
    /// (`appendfilename` in `dir`, from Redis before 7.0) is moved into the AOF directory
    /// first, as Redis's `aofUpgradePrepare` does.
    pub fn begin(server: &mut Server) -> Result<(Option<AofLoad>, Loaded), String> {
        let dir = server.aof_dir();
        let name = server.config.appendfilename.clone();
        let mut manifest = read_manifest(&dir, &name)?;
        let legacy = Path::new(&server.config.dir).join(&name);
        if legacy.is_file() {
            let only_legacy_base = manifest.incr.is_empty()
                && manifest.base.as_ref().is_some_and(|b| b.name == name)
                && !dir.join(&name).exists();
            if !dir.is_dir()
                || (manifest.base.is_none() && manifest.incr.is_empty())
                || only_legacy_base
            {
                manifest = upgrade_legacy(server, &legacy, &dir, &name)?;
            }
        }
        server.aof.manifest = manifest.clone();
        if manifest.base.is_none() && manifest.incr.is_empty() {
            return Ok((None, Loaded::NotExist));
        }
        let mut total = 0u64;
        for file in manifest.to_load() {
            match fs::metadata(dir.join(&file.name)) {
                Ok(meta) => total += meta.len(),
                Err(e) => {
                    return Err(format!(
                        "The append log file {} doesn't exist: {e}",
                        file.name
                    ));
                }
            }
        }
        if total == 0 {
            return Ok((None, Loaded::Empty));
        }
        let files: Vec<(String, bool)> = manifest
            .base
            .iter()
            .map(|f| (f.name.clone(), true))
            .chain(manifest.incr.iter().map(|f| (f.name.clone(), false)))
            .rev()
            .collect();
        server.persistence.loading = Some(LoadingProgress {
            start_time: crate::server::persistence::unix_seconds(),
            total_bytes: total,
            loaded_bytes: 0,
            rdb_used_mem: 0,
        });
        let propagating = server.keyspace.propagation.enabled();
        server.keyspace.propagation.set_enabled(false);
        server.keyspace.replaying = true;
        let addr: SocketAddr = "0.0.0.0:0".parse().expect("address");
        let client = Client::new(AOF_CLIENT_ID, addr, addr, -1, true);
        Ok((
            Some(AofLoad {
                dir,
                files,
                reading: None,
                client,
                load_truncated: server.config.aof_load_truncated,
                propagating,
                base_size: 0,
            }),
            Loaded::Ok,
        ))
    }

    /// Loads up to about `commands` commands (or RDB keys) more. `Ok(true)` once every file is
    /// in; on an error the keyspace is emptied and the message names the file and offset.
    pub fn step(&mut self, server: &mut Server, commands: usize) -> Result<bool, String> {
        let result = self.step_inner(server, commands);
        match &result {
            Ok(true) => self.finish(server),
            Ok(false) => {}
            Err(_) => {
                self.finish(server);
                for db in 0..server.keyspace.dbs.len() {
                    server.keyspace.flush_db(db, false);
                }
            }
        }
        result
    }

    fn finish(&mut self, server: &mut Server) {
        server.persistence.loading = None;
        server.keyspace.replaying = false;
        server.keyspace.propagation.set_enabled(self.propagating);
        server.aof.base_size = self.base_size;
        server.aof.current_size = server.aof_files_size();
    }

    fn step_inner(&mut self, server: &mut Server, commands: usize) -> Result<bool, String> {
        if self.reading.is_none() {
            let Some((name, base)) = self.files.pop() else {
                return Ok(true);
            };
            self.reading = self.open(server, &name, base)?;
            if self.reading.is_none() {
                // An empty incremental file.
                return Ok(false);
            }
        }
        let last = self.files.is_empty();
        match self.reading.as_mut().expect("opened") {
            Reading::Rdb { load, path } => {
                let keys = commands as u64;
                let bytes = server.config.loading_process_events_interval_bytes.max(1) as u64;
                // The RDB loader ends its own progress; the AOF's goes on over its files.
                let progress = server.persistence.loading.clone();
                let loaded = server.load_step(load, keys, bytes)?;
                if let (Some(mut progress), Some(_)) = (progress, &loaded) {
                    progress.loaded_bytes += load.offset();
                    server.persistence.loading = Some(progress);
                }
                if loaded.is_some() {
                    let path = path.clone();
                    let name = file_name(&path);
                    let offset = load.offset();
                    let size = fs::metadata(&path).map_or(0, |m| m.len());
                    tracing::info!("DB loaded from base file {name}: done");
                    if offset < size {
                        // An old-style AOF: its commands follow the RDB preamble.
                        tracing::info!("Reading the remaining AOF tail...");
                        let mut file = File::open(&path)
                            .map_err(|e| format!("can't open {}: {e}", path.display()))?;
                        file.seek(SeekFrom::Start(offset))
                            .map_err(|e| format!("can't read {}: {e}", path.display()))?;
                        self.reading = Some(Reading::Commands(Box::new(CommandFile {
                            name,
                            path,
                            reader: CommandReader::new(BufReader::new(file), offset),
                            valid_up_to: offset,
                            valid_before_multi: offset,
                            started: Instant::now(),
                            kind: "base",
                        })));
                    } else {
                        self.reading = None;
                    }
                }
                Ok(false)
            }
            Reading::Commands(file) => {
                let done = run_commands(
                    server,
                    &mut self.client,
                    file,
                    commands,
                    last,
                    self.load_truncated,
                )?;
                if done {
                    let kind = file.kind;
                    tracing::info!(
                        "DB loaded from {kind} file {}: {:.3} seconds",
                        file.name,
                        file.started.elapsed().as_secs_f64()
                    );
                    self.reading = None;
                    self.client.multi = None;
                }
                Ok(false)
            }
        }
    }

    /// Opens the next file; `None` for an empty incremental file.
    fn open(
        &mut self,
        server: &mut Server,
        name: &str,
        base: bool,
    ) -> Result<Option<Reading>, String> {
        let path = self.dir.join(name);
        // Each file is read by a client of its own in Redis: it starts in database 0.
        self.client.db = 0;
        let mut file = File::open(&path).map_err(|e| {
            format!("Fatal error: can't open the append log file {name} for reading: {e}")
        })?;
        let size = file.metadata().map_or(0, |m| m.len());
        if base {
            self.base_size = size;
        }
        if size == 0 {
            return Ok(None);
        }
        let mut signature = [0u8; 5];
        let is_rdb = file.read_exact(&mut signature).is_ok() && &signature == b"REDIS";
        if is_rdb {
            tracing::info!("Reading RDB base file on AOF loading...");
            let load = server
                .begin_load_file(&path, LoadMode::Strict, false)
                .map_err(|e| {
                    format!("Error reading the RDB base file {name}, AOF loading aborted: {e}")
                })?
                .ok_or_else(|| format!("The append log file {name} doesn't exist"))?;
            return Ok(Some(Reading::Rdb {
                load: Box::new(load),
                path,
            }));
        }
        file.seek(SeekFrom::Start(0))
            .map_err(|e| format!("Unrecoverable error reading the append only file {name}: {e}"))?;
        Ok(Some(Reading::Commands(Box::new(CommandFile {
            name: name.to_string(),
            path,
            reader: CommandReader::new(BufReader::with_capacity(1 << 16, file), 0),
            valid_up_to: 0,
            valid_before_multi: 0,
            started: Instant::now(),
            kind: if base { "base" } else { "incr" },
        }))))
    }
}

/// The file name part of a path, for log lines.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// Runs up to `limit` commands of `file`. `Ok(true)` at its end.
fn run_commands(
    server: &mut Server,
    client: &mut Client,
    file: &mut CommandFile,
    limit: usize,
    last: bool,
    load_truncated: bool,
) -> Result<bool, String> {
    let name = file.name.clone();
    for _ in 0..limit {
        let argv = match file.reader.next_command() {
            Ok(Some(argv)) => argv,
            Ok(None) => {
                if client.multi.is_some() {
                    tracing::warn!("Revert incomplete MULTI/EXEC transaction in AOF file {name}");
                    client.multi = None;
                    let keep = file.valid_before_multi;
                    return truncated(file, keep, last, load_truncated).map(|()| true);
                }
                progress(server, file);
                return Ok(true);
            }
            Err(ReadError::Truncated) => {
                let keep = if client.multi.is_some() {
                    client.multi = None;
                    file.valid_before_multi
                } else {
                    file.valid_up_to
                };
                return truncated(file, keep, last, load_truncated).map(|()| true);
            }
            Err(ReadError::Format) => {
                return Err(format!(
                    "Bad file format reading the append only file {name} at offset {}: make a \
                     backup of your AOF file, then use ./redis-check-aof --fix \
                     <filename.manifest>",
                    file.valid_up_to
                ));
            }
            Err(ReadError::Io(e)) => {
                return Err(format!(
                    "Unrecoverable error reading the append only file {name}: {e}"
                ));
            }
        };
        let slices: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
        let owned = OwnedArgs::from_slices(&slices);
        let args = owned.args();
        let Ok(entry) = table().lookup(&args) else {
            return Err(format!(
                "Unknown command '{}' reading the append only file {name}",
                String::from_utf8_lossy(&argv[0])
            ));
        };
        if entry.command.has(flags::EXEC) || client.multi.is_none() {
            let outside_multi = client.multi.is_none();
            let mut reply = Reply::new(client.protocol);
            let mut ctx = Ctx {
                server,
                client,
                reply: &mut reply,
            };
            if entry.command.has(flags::EXEC) {
                // `EXEC` runs its queue through `call`, as in Redis.
                call(&mut ctx, entry, &args);
            } else if let Some(handler) = entry.command.handler {
                ctx.server.keyspace.now_ms = crate::db::access::unix_ms();
                let _ = handler(&mut ctx, &args);
                ctx.server
                    .keyspace
                    .propagation
                    .finish_command(0, false, std::iter::empty());
            }
            if outside_multi && client.multi.is_some() {
                // A `MULTI`: a file that ends inside its transaction is cut before it.
                file.valid_before_multi = file.valid_up_to;
            }
        } else if let Some(multi) = client.multi.as_mut() {
            multi.commands.push((entry.index, owned.clone()));
        }
        file.valid_up_to = file.reader.offset();
        let delay = server.config.key_load_delay;
        if delay > 0 {
            std::thread::sleep(std::time::Duration::from_micros(delay as u64));
        }
    }
    progress(server, file);
    Ok(false)
}

fn progress(server: &mut Server, file: &CommandFile) {
    if let Some(loading) = &mut server.persistence.loading {
        loading.loaded_bytes = loading.loaded_bytes.max(file.reader.offset());
    }
}

/// A file that ends early: cut at `keep` when allowed (`aof-load-truncated`, last file).
fn truncated(
    file: &CommandFile,
    keep: u64,
    last: bool,
    load_truncated: bool,
) -> Result<(), String> {
    let name = &file.name;
    if !last {
        return Err(format!(
            "Fatal error: the truncated file is not the last file (append only file {name}, \
             offset {keep})"
        ));
    }
    if !load_truncated {
        return Err(format!(
            "Unexpected end of file reading the append only file {name} (last complete command \
             ends at offset {keep}). You can: 1) Make a backup of your AOF file, then use \
             ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the \
             'aof-load-truncated' configuration option to yes and restart the server."
        ));
    }
    tracing::warn!("!!! Warning: short read while loading the AOF file {name}!!!");
    tracing::warn!("!!! Truncating the AOF {name} at offset {keep} !!!");
    let cut = fs::OpenOptions::new()
        .write(true)
        .open(&file.path)
        .and_then(|f| f.set_len(keep));
    if let Err(e) = cut {
        return Err(format!("Error truncating the AOF file {name}: {e}"));
    }
    tracing::warn!("AOF {name} loaded anyway because aof-load-truncated is enabled");
    Ok(())
}

/// Moves a pre-7.0 single-file AOF into the AOF directory as its base (`aofUpgradePrepare`).
fn upgrade_legacy(
    server: &mut Server,
    legacy: &Path,
    dir: &Path,
    name: &str,
) -> Result<Manifest, String> {
    fs::create_dir_all(dir).map_err(|e| {
        format!(
            "Can't open or create append-only dir {}: {e}",
            dir.display()
        )
    })?;
    let mut manifest = Manifest {
        base: Some(crate::aof::manifest::AofFile {
            name: name.to_string(),
            seq: 1,
            kind: crate::aof::manifest::FileKind::Base,
        }),
        base_seq: 1,
        ..Manifest::default()
    };
    server
        .persist_aof_manifest(&manifest)
        .map_err(|e| format!("Can't persist the AOF manifest: {e}"))?;
    fs::rename(legacy, dir.join(name)).map_err(|e| {
        format!(
            "Error trying to move the old AOF file {name} into dir {}: {e}",
            dir.display()
        )
    })?;
    tracing::info!(
        "Successfully migrated an old-style AOF file ({name}) into the AOF directory ({}).",
        dir.display()
    );
    manifest.incr_seq = 0;
    Ok(manifest)
}
