//! The RDB side of a background save (`BGSAVE`, save points): the sink a keyspace snapshot
//! (`db::snapshot`) writes its keys to. Keys arrive in walk order, interleaved with keys
//! written just before a command changes them, possibly from another database: each change of
//! database gets its own `SELECTDB`, which Redis's loader accepts anywhere. Memory is a few
//! chunks on their way to the writer thread, which compresses, checksums and writes them.

use std::any::Any;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

use super::save::{SaveOptions, Saver};
use super::write::{Crc64Writer, RdbWriter};
use super::{OP_EOF, OP_SELECTDB};
use crate::db::snapshot::{AccessClock, KeySink};
use crate::store::record::Record;
use crate::types::Objects;

/// The stream goes to the writer thread in chunks of about this size.
const CHUNK: usize = 1 << 20;
/// A chunk that grows to this size is sent at once, the command thread waiting for room in
/// the queue if need be: a large key, or many keys written before their change while the
/// queue was full, never holds more than this on the command thread's side.
const CHUNK_LIMIT: usize = 4 * CHUNK;
/// Chunks queued for the writer thread at most: with the one being filled and the writer's
/// buffer, a save holds a few MiB however far the disk falls behind.
const QUEUED_CHUNKS: usize = 4;
/// The writer thread's file buffer.
const FILE_BUFFER: usize = 1 << 20;

/// A stretch of the stream as the command thread encodes it, with the strings whose
/// compression it left to the writer thread.
struct Chunk {
    bytes: Vec<u8>,
    /// Stream offset of `bytes[0]`.
    base: u64,
    /// Stream offset and length of each string to finish (see `RdbWriter::defer_compression`).
    deferred: Vec<(u64, u32)>,
}

impl Chunk {
    fn empty(base: u64) -> Chunk {
        Chunk {
            bytes: Vec::new(),
            base,
            deferred: Vec::new(),
        }
    }
}

/// The command thread's end of the stream: the chunk being filled, and the queue to the
/// writer thread.
struct ChunkStream {
    chunk: Chunk,
    chunks: SyncSender<Chunk>,
}

impl ChunkStream {
    /// Notes a string whose compression is left to the writer thread (the hook of
    /// `RdbWriter::defer_compression`).
    fn defer(&mut self, offset: u64, len: u32) {
        self.chunk.deferred.push((offset, len));
    }

    /// Takes the chunk filled so far, leaving an empty one after it.
    fn take(&mut self) -> Chunk {
        let next = self.chunk.base + self.chunk.bytes.len() as u64;
        std::mem::replace(&mut self.chunk, Chunk::empty(next))
    }

    /// Sends the chunk being filled once it is full, unless the writer thread's queue is: the
    /// chunk then stays and grows (up to `CHUNK_LIMIT`). `Ok(false)` when it stayed.
    fn try_ship(&mut self) -> io::Result<bool> {
        if self.chunk.bytes.len() < CHUNK {
            return Ok(true);
        }
        let chunk = self.take();
        match self.chunks.try_send(chunk) {
            Ok(()) => {
                self.chunk.bytes.reserve(CHUNK);
                Ok(true)
            }
            Err(TrySendError::Full(chunk)) => {
                // Nothing was written since the take: the chunk goes back as it was.
                self.chunk = chunk;
                Ok(false)
            }
            Err(TrySendError::Disconnected(_)) => Err(writer_stopped()),
        }
    }
}

/// What a send to a writer thread that has stopped on an error reports; the thread's own
/// error is the one the save ends with.
fn writer_stopped() -> io::Error {
    io::Error::other("the RDB writer thread stopped")
}

impl Write for ChunkStream {
    /// Appends whole: a deferred string is never split between chunks.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.chunk.bytes.extend_from_slice(buf);
        if self.chunk.bytes.len() >= CHUNK_LIMIT {
            let chunk = self.take();
            self.chunks.send(chunk).map_err(|_| writer_stopped())?;
            self.chunk.bytes.reserve(CHUNK);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes a snapshot's keys to a file as an RDB stream. Encoding happens here, on the
/// command thread, where the records are; compressing long strings (most of a save's work),
/// the checksum and the file's writes happen on a writer thread the chunks are sent to, as
/// Redis's fork child does all of it beside the server.
pub struct FileSink {
    writer: RdbWriter<ChunkStream>,
    saver: Saver,
    thread: JoinHandle<io::Result<(u64, File)>>,
    checksum: bool,
    /// The database of the last `SELECTDB` written.
    section: Option<usize>,
    /// Keys and keys with an expire time of each database when the save began, written as
    /// its `RESIZEDB` the first time the database's section starts (a loader sizes its table
    /// from it once, instead of growing it key by key); `None` once written.
    sizes: Vec<Option<(usize, usize)>>,
    /// The first write error; later keys are skipped.
    error: Option<io::Error>,
}

/// A save whose walk is over: what is left is the writer thread's.
pub struct FinishingSave {
    last: Chunk,
    chunks: SyncSender<Chunk>,
    thread: JoinHandle<io::Result<(u64, File)>>,
    checksum: bool,
}

impl FinishingSave {
    /// Waits for the writer thread to write everything, then writes the checksum trailer and
    /// returns the file to be synced. Blocks: call it off the command thread.
    pub fn wait(self) -> io::Result<File> {
        // A send fails only if the thread has stopped on an error, which `join` returns.
        let _ = self.chunks.send(self.last);
        drop(self.chunks);
        let (crc, mut file) = self
            .thread
            .join()
            .map_err(|_| io::Error::other("the RDB writer thread panicked"))??;
        // Zero when checksums are off, as Redis writes it.
        let trailer = if self.checksum { crc } else { 0 };
        file.write_all(&trailer.to_le_bytes())?;
        Ok(file)
    }
}

/// Puts the calling thread (the writer) in Linux's idle scheduling class when the process
/// may run on more than one CPU: it then runs on CPU time no other thread wants, and a
/// command thread or client waking on its CPU takes it at once. In the normal class it would
/// take a fair share of a CPU from the command thread and the clients (measured: the SET rate
/// during a save fell from about 0.67 to 0.47 of the rate without one). With one CPU the
/// command thread would starve it, so it stays in the normal class there, as Redis's fork
/// child does; on a host whose every CPU is saturated the save goes on at the idle class's
/// small share. If the call fails the thread stays as it was: the save then costs clients more.
fn yield_cpu_to_commands() {
    use thread_priority::unix::{
        NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy,
        thread_native_id,
    };
    if std::thread::available_parallelism().is_ok_and(|cpus| cpus.get() > 1) {
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        if let Err(e) = set_thread_priority_and_policy(
            thread_native_id(),
            thread_priority::ThreadPriority::Min,
            idle,
        ) {
            tracing::debug!("the RDB writer stays in the normal scheduling class: {e:?}");
        }
    }
}

/// The writer thread: finishes each chunk's deferred strings, keeps the checksum of the
/// whole stream and writes it to `file`, until the sink hangs up.
fn write_chunks(chunks: Receiver<Chunk>, file: File, compression: bool) -> io::Result<(u64, File)> {
    let out = BufWriter::with_capacity(FILE_BUFFER, Crc64Writer::new(file));
    let mut writer = RdbWriter::new(out, false, compression);
    yield_cpu_to_commands();
    for chunk in chunks {
        let mut at = 0;
        for (offset, len) in chunk.deferred {
            let start = (offset - chunk.base) as usize;
            let end = start + len as usize;
            writer.raw(&chunk.bytes[at..start])?;
            writer.compressed_or_plain(&chunk.bytes[start..end])?;
            at = end;
        }
        writer.raw(&chunk.bytes[at..])?;
    }
    let (crc, file) = writer
        .into_inner()
        .into_inner()
        .map_err(|e| e.into_error())?
        .into_parts();
    Ok((crc, file))
}

impl FileSink {
    /// Starts the stream in `file`: magic, version, AUX fields and the function `libraries`.
    /// `sizes` gives each database's keys and keys with an expire time as the save begins.
    pub fn start(
        file: File,
        options: SaveOptions,
        sizes: Vec<(usize, usize)>,
        libraries: &[&[u8]],
    ) -> io::Result<FileSink> {
        let (chunks, received) = sync_channel(QUEUED_CHUNKS);
        let compression = options.compression;
        let thread = std::thread::Builder::new()
            .name("rdb-writer".into())
            .spawn(move || write_chunks(received, file, compression))?;
        let stream = ChunkStream {
            chunk: Chunk::empty(0),
            chunks,
        };
        let mut writer = RdbWriter::new(stream, false, compression);
        writer.defer_compression(ChunkStream::defer);
        let mut saver = Saver::new(options);
        saver.header(&mut writer)?;
        saver.functions(&mut writer, libraries)?;
        Ok(FileSink {
            writer,
            saver,
            thread,
            checksum: options.checksum,
            section: None,
            sizes: sizes.into_iter().map(Some).collect(),
            error: None,
        })
    }

    /// Ends the stream (EOF) and hands what is left to the writer thread, or returns the
    /// first error met.
    pub fn finish(mut self) -> io::Result<FinishingSave> {
        let ended = match self.error.take() {
            Some(error) => Err(error),
            None => self.writer.byte(OP_EOF),
        };
        let stream = self.writer.into_inner();
        if let Err(error) = ended {
            // The thread's own error says more than the hang-up.
            drop(stream);
            return Err(match self.thread.join() {
                Ok(Err(e)) => e,
                _ => error,
            });
        }
        Ok(FinishingSave {
            last: stream.chunk,
            chunks: stream.chunks,
            thread: self.thread,
            checksum: self.checksum,
        })
    }

    fn write_key(
        &mut self,
        db: usize,
        record: &Record,
        objects: &Objects,
        clock: AccessClock,
    ) -> io::Result<()> {
        if self.section != Some(db) {
            // Keys changed during the save come out of walk order, so a database's section
            // can start more than once; its size is written the first time.
            match self.sizes.get_mut(db).and_then(Option::take) {
                Some((keys, expires)) => {
                    self.saver.database(&mut self.writer, db, keys, expires)?
                }
                None => {
                    self.writer.byte(OP_SELECTDB)?;
                    self.writer.length(db as u64)?;
                }
            }
            self.section = Some(db);
        }
        self.saver.key(&mut self.writer, record, objects, clock)
    }
}

impl KeySink for FileSink {
    fn save(&mut self, db: usize, record: &Record, objects: &Objects, clock: AccessClock) {
        if self.error.is_some() {
            return;
        }
        if let Err(e) = self.write_key(db, record, objects, clock) {
            self.error = Some(e);
        }
    }

    /// Sends the chunk once it is full; `false` while the writer thread's queue is, so the
    /// walk waits for it (a key written before its change never does). Called between steps
    /// of the walk, not per key: a key costs no attempt at a queue that is full.
    fn ready(&mut self) -> bool {
        if self.error.is_some() {
            return true;
        }
        match self.writer.get_mut().try_ship() {
            Ok(shipped) => shipped,
            Err(e) => {
                self.error = Some(e);
                true
            }
        }
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Strings of every kind a save meets: integers, short, compressible, random (no slot
    /// repeats, settled without running LZF), and random with a repeat.
    fn strings() -> Vec<Vec<u8>> {
        let mut rng = fastrand::Rng::with_seed(5);
        let mut all: Vec<Vec<u8>> = vec![b"12".to_vec(), b"-7".to_vec(), b"short".to_vec()];
        for round in 0..400 {
            let len = rng.usize(1..600);
            let alphabet = [2u8, 26, 74, 255][round % 4];
            all.push(
                (0..len)
                    .map(|_| b'0'.wrapping_add(rng.u8(0..alphabet)))
                    .collect(),
            );
        }
        all.push(vec![b'x'; 5000]);
        all
    }

    #[test]
    fn the_writer_thread_writes_what_an_inline_writer_writes() {
        let mut strings = strings();
        // Strings past the chunk limit, compressible and not, go out in chunks of their own.
        let mut rng = fastrand::Rng::with_seed(8);
        strings.push((0..CHUNK_LIMIT + 5).map(|_| rng.u8(..)).collect());
        strings.push(vec![b'y'; CHUNK_LIMIT * 2]);
        let mut inline = RdbWriter::new(Vec::new(), true, true);
        for s in &strings {
            inline.string(s).unwrap();
        }
        let expected_crc = inline.checksum();
        let expected = inline.into_inner();

        // The command thread's side: bare strings in small chunks, their compression deferred.
        let (chunks, received) = sync_channel(QUEUED_CHUNKS);
        let path = std::env::temp_dir().join(format!("zedis-snapshot-{}", std::process::id()));
        let file = File::create(&path).unwrap();
        let thread = std::thread::spawn(move || write_chunks(received, file, true));
        let stream = ChunkStream {
            chunk: Chunk::empty(0),
            chunks,
        };
        let mut deferred = RdbWriter::new(stream, false, true);
        deferred.defer_compression(ChunkStream::defer);
        for (n, s) in strings.iter().enumerate() {
            deferred.string(s).unwrap();
            let stream = deferred.get_mut();
            // Never more than the limit waits on this side.
            assert!(stream.chunk.bytes.len() < CHUNK_LIMIT);
            if n % 7 == 6 {
                let chunk = stream.take();
                stream.chunks.send(chunk).unwrap();
            } else {
                stream.try_ship().unwrap();
            }
        }
        let stream = deferred.into_inner();
        stream.chunks.send(stream.chunk).unwrap();
        drop(stream.chunks);
        let (crc, _file) = thread.join().unwrap().unwrap();
        let written = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(written == expected, "the files differ");
        assert_eq!(crc, expected_crc);
    }
}
