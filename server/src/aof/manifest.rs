//! The AOF manifest of Redis 7.0's multi-part append-only file: which base file and which
//! incremental files, in order, make up the dataset, and which older files are history
//! waiting to be deleted.
//!
//! One line per file, `file <name> seq <n> type <b|h|i>`, base first, then history, then the
//! incremental files in sequence order. Names are quoted as `sdscatrepr` quotes them when they
//! need it. Reading is as strict as Redis's: any malformed line stops the server with the line
//! and the reason, since loading a dataset from a misread list of files would serve the wrong
//! data.

use sds::Sds;

use crate::util::c_atoi;

/// `file` lines longer than this are refused (`MANIFEST_MAX_LINE`).
const MAX_LINE: usize = 1024;

/// What a manifest line describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Base,
    History,
    Incr,
}

impl FileKind {
    fn letter(self) -> char {
        match self {
            FileKind::Base => 'b',
            FileKind::History => 'h',
            FileKind::Incr => 'i',
        }
    }
}

/// One file of the AOF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AofFile {
    pub name: String,
    pub seq: i64,
    pub kind: FileKind,
}

/// The files that make up the AOF, as the manifest lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<AofFile>,
    pub history: Vec<AofFile>,
    pub incr: Vec<AofFile>,
    /// The sequence numbers last given to a base and an incremental file.
    pub base_seq: i64,
    pub incr_seq: i64,
}

/// A manifest that could not be read: the line (1-based) and its text, when one is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub line: Option<(usize, String)>,
    pub reason: &'static str,
}

/// The manifest's name for `appendfilename` (`appendonly.aof.manifest`).
pub fn manifest_name(appendfilename: &str) -> String {
    format!("{appendfilename}.manifest")
}

/// The name the manifest is written under before it is renamed into place.
pub fn temp_manifest_name(appendfilename: &str) -> String {
    format!("temp-{appendfilename}.manifest")
}

/// The incremental file that collects writes while `appendonly` is being turned on.
pub fn temp_incr_name(appendfilename: &str) -> String {
    format!("temp-{appendfilename}.incr")
}

impl Manifest {
    /// Parses a manifest's text as Redis's `aofLoadManifestFromFile` does.
    pub fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        let mut manifest = Manifest::default();
        let mut max_seq = 0;
        let mut line_number = 0;
        let mut rest = text;
        if rest.is_empty() {
            return Err(ManifestError {
                line: None,
                reason: "Found an empty AOF manifest",
            });
        }
        while !rest.is_empty() {
            line_number += 1;
            let (line, newline) = match rest.iter().position(|&b| b == b'\n') {
                Some(at) => (&rest[..at], true),
                None => (rest, false),
            };
            rest = &rest[(line.len() + 1).min(rest.len())..];
            if line.first() == Some(&b'#') {
                continue;
            }
            let trimmed = line.trim_ascii();
            let at = |reason| ManifestError {
                line: Some((line_number, String::from_utf8_lossy(trimmed).into_owned())),
                reason,
            };
            if !newline || line.len() >= MAX_LINE {
                return Err(at("The AOF manifest file contains too long line"));
            }
            if trimmed.is_empty() {
                return Err(at("Invalid AOF manifest file format"));
            }
            let words =
                sds::split_args(trimmed).map_err(|_| at("Invalid AOF manifest file format"))?;
            if words.len() < 6 || words.len() % 2 != 0 {
                return Err(at("Invalid AOF manifest file format"));
            }
            let (mut name, mut seq, mut kind) = (None, 0i64, None);
            for pair in words.chunks(2) {
                let (key, value) = (pair[0].as_bytes(), pair[1].as_bytes());
                if key.eq_ignore_ascii_case(b"file") {
                    if value.contains(&b'/') || value.contains(&b'\\') {
                        return Err(at("File can't be a path, just a filename"));
                    }
                    name = Some(String::from_utf8_lossy(value).into_owned());
                } else if key.eq_ignore_ascii_case(b"seq") {
                    seq = c_atoi(value);
                } else if key.eq_ignore_ascii_case(b"type") {
                    kind = value.first().copied();
                }
            }
            let (Some(name), Some(kind)) = (name, kind) else {
                return Err(at("Invalid AOF manifest file format"));
            };
            if seq == 0 || name.is_empty() {
                return Err(at("Invalid AOF manifest file format"));
            }
            match kind {
                b'b' => {
                    if manifest.base.is_some() {
                        return Err(at("Found duplicate base file information"));
                    }
                    manifest.base_seq = seq;
                    manifest.base = Some(AofFile {
                        name,
                        seq,
                        kind: FileKind::Base,
                    });
                }
                b'h' => manifest.history.push(AofFile {
                    name,
                    seq,
                    kind: FileKind::History,
                }),
                b'i' => {
                    if seq <= max_seq {
                        return Err(at("Found a non-monotonic sequence number"));
                    }
                    max_seq = seq;
                    manifest.incr_seq = seq;
                    manifest.incr.push(AofFile {
                        name,
                        seq,
                        kind: FileKind::Incr,
                    });
                }
                _ => return Err(at("Unknown AOF file type")),
            }
        }
        Ok(manifest)
    }

    /// The manifest's text (`getAofManifestAsString`): base, history, incremental files.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for file in self
            .base
            .iter()
            .chain(self.history.iter())
            .chain(self.incr.iter())
        {
            let mut name = Sds::new(file.name.as_bytes());
            if name.needs_repr() {
                let mut quoted = Sds::empty();
                quoted.cat_repr(file.name.as_bytes());
                name = quoted;
            }
            out.extend_from_slice(b"file ");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(
                format!(" seq {} type {}\n", file.seq, file.kind.letter()).as_bytes(),
            );
        }
        out
    }

    /// Names a new base file and turns the current one into history
    /// (`getNewBaseFileNameAndMarkPreAsHistory`); `rdb` says which format it is written in.
    pub fn new_base(&mut self, appendfilename: &str, rdb: bool) -> String {
        if let Some(mut old) = self.base.take() {
            old.kind = FileKind::History;
            self.history.insert(0, old);
        }
        self.base_seq += 1;
        let name = format!(
            "{appendfilename}.{}.base.{}",
            self.base_seq,
            if rdb { "rdb" } else { "aof" }
        );
        self.base = Some(AofFile {
            name: name.clone(),
            seq: self.base_seq,
            kind: FileKind::Base,
        });
        name
    }

    /// Names and lists a new incremental file (`getNewIncrAofName`).
    pub fn new_incr(&mut self, appendfilename: &str) -> String {
        self.incr_seq += 1;
        let name = format!("{appendfilename}.{}.incr.aof", self.incr_seq);
        self.incr.push(AofFile {
            name: name.clone(),
            seq: self.incr_seq,
            kind: FileKind::Incr,
        });
        name
    }

    /// The incremental file written to: the last one, or a new one if there is none
    /// (`getLastIncrAofName`).
    pub fn last_incr(&mut self, appendfilename: &str) -> String {
        match self.incr.last() {
            Some(file) => file.name.clone(),
            None => self.new_incr(appendfilename),
        }
    }

    /// After a rewrite: every incremental file but the last `keep` (the ones written since the
    /// rewrite began) becomes history (`markRewrittenIncrAofAsHistory`).
    pub fn incr_to_history(&mut self, keep: usize) {
        let rewritten = self.incr.len().saturating_sub(keep);
        for mut file in self.incr.drain(..rewritten).rev() {
            file.kind = FileKind::History;
            self.history.insert(0, file);
        }
    }

    /// The files to load, in order: base, then incremental files.
    pub fn to_load(&self) -> impl Iterator<Item = &AofFile> {
        self.base.iter().chain(self.incr.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_reads_back_as_written() {
        let mut manifest = Manifest::default();
        assert_eq!(
            manifest.last_incr("appendonly.aof"),
            "appendonly.aof.1.incr.aof"
        );
        assert_eq!(
            manifest.new_base("appendonly.aof", true),
            "appendonly.aof.1.base.rdb"
        );
        manifest.new_incr("appendonly.aof");
        manifest.incr_to_history(1);
        manifest.new_base("appendonly.aof", false);
        let text = manifest.render();
        assert_eq!(
            String::from_utf8(text.clone()).unwrap(),
            "file appendonly.aof.2.base.aof seq 2 type b\n\
             file appendonly.aof.1.base.rdb seq 1 type h\n\
             file appendonly.aof.1.incr.aof seq 1 type h\n\
             file appendonly.aof.2.incr.aof seq 2 type i\n"
        );
        let read = Manifest::parse(&text).unwrap();
        assert_eq!(read.base, manifest.base);
        assert_eq!(read.incr, manifest.incr);
        assert_eq!(read.history.len(), 2);
        assert_eq!((read.base_seq, read.incr_seq), (2, 2));
        let order: Vec<_> = read.to_load().map(|f| f.name.as_str()).collect();
        assert_eq!(
            order,
            ["appendonly.aof.2.base.aof", "appendonly.aof.2.incr.aof"]
        );
    }

    #[test]
    fn names_that_need_quoting_are_quoted_and_read_back() {
        let mut manifest = Manifest::default();
        manifest.new_incr("my aof");
        let text = manifest.render();
        assert_eq!(text, b"file \"my aof.1.incr.aof\" seq 1 type i\n");
        assert_eq!(
            Manifest::parse(&text).unwrap().incr[0].name,
            "my aof.1.incr.aof"
        );
    }

    #[test]
    fn malformed_manifests_are_refused_with_redis_reasons() {
        let reason = |text: &[u8]| Manifest::parse(text).unwrap_err().reason;
        assert_eq!(reason(b""), "Found an empty AOF manifest");
        assert_eq!(
            reason(b"file a seq 1 type b"),
            "The AOF manifest file contains too long line"
        );
        assert_eq!(
            reason(b"file a seq 1\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(reason(b"\n"), "Invalid AOF manifest file format");
        assert_eq!(
            reason(b"file a/b seq 1 type b\n"),
            "File can't be a path, just a filename"
        );
        assert_eq!(
            reason(b"file a seq 0 type b\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            reason(b"file a seq 1 type b\nfile b seq 2 type b\n"),
            "Found duplicate base file information"
        );
        assert_eq!(
            reason(b"file a seq 2 type i\nfile b seq 2 type i\n"),
            "Found a non-monotonic sequence number"
        );
        assert_eq!(reason(b"file a seq 1 type x\n"), "Unknown AOF file type");
        let error = Manifest::parse(b"# comment\nfile a seq 1 type x\n").unwrap_err();
        assert_eq!(error.line, Some((2, "file a seq 1 type x".to_string())));
        // Unknown pairs are allowed, for forward compatibility.
        let read = Manifest::parse(b"file a seq 3 type i extra x\n").unwrap();
        assert_eq!(read.incr_seq, 3);
    }
}
