//! The RDB side of a background save (`BGSAVE`, save points): the sink a keyspace snapshot
//! (`db::snapshot`) writes its keys to. Keys arrive in walk order, interleaved with keys
//! written just before a command changes them, possibly from another database: each change of
//! database gets its own `SELECTDB`, which Redis's loader accepts anywhere. Memory is the
//! write buffer; the checksum is computed a buffer at a time as it goes to the file.

use std::any::Any;
use std::fs::File;
use std::io::{self, BufWriter, Write};

use super::save::{SaveOptions, Saver};
use super::write::{Crc64Writer, RdbWriter};
use super::{OP_EOF, OP_SELECTDB};
use crate::db::snapshot::{AccessClock, KeySink};
use crate::store::record::Record;
use crate::types::Objects;

/// Write buffer of a background save.
const BUFFER: usize = 1 << 20;

/// Writes a snapshot's keys to a file as an RDB stream.
pub struct FileSink {
    writer: RdbWriter<BufWriter<Crc64Writer<File>>>,
    saver: Saver,
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

impl FileSink {
    /// Starts the stream in `file`: magic, version and AUX fields. `sizes` gives each
    /// database's keys and keys with an expire time as the save begins.
    pub fn start(
        file: File,
        options: SaveOptions,
        sizes: Vec<(usize, usize)>,
    ) -> io::Result<FileSink> {
        // The file's writer keeps the checksum, over whole buffers.
        let out = BufWriter::with_capacity(BUFFER, Crc64Writer::new(file));
        let mut writer = RdbWriter::new(out, false, options.compression);
        let mut saver = Saver::new(options);
        saver.header(&mut writer)?;
        Ok(FileSink {
            writer,
            saver,
            checksum: options.checksum,
            section: None,
            sizes: sizes.into_iter().map(Some).collect(),
            error: None,
        })
    }

    /// Ends the stream (EOF and checksum) and returns the file to be synced, or the first
    /// error met.
    pub fn finish(mut self) -> io::Result<File> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        self.writer.byte(OP_EOF)?;
        let buffered = self.writer.into_inner();
        let (crc, mut file) = buffered
            .into_inner()
            .map_err(|e| e.into_error())?
            .into_parts();
        // Zero when checksums are off, as Redis writes it.
        let trailer = if self.checksum { crc } else { 0 };
        file.write_all(&trailer.to_le_bytes())?;
        Ok(file)
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

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
