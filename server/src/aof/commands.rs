//! Reading an AOF file's commands back, one at a time, as Redis's `loadSingleAppendOnlyFile`
//! reads them: `*<argc>` lines of `$<len>` bulk strings, `#` annotation lines skipped.
//!
//! The reader tells a file that simply ends early (a crash while appending: the tail may be
//! cut off when `aof-load-truncated` allows) from one that is damaged (anything else), and
//! reports the offset just after the last complete command so the file can be cut there.

use std::io::{self, BufRead, Read};

use crate::util::c_atoi;

/// Longest line read at once (`AOF_ANNOTATION_LINE_MAX_LEN`).
const LINE_MAX: usize = 1024;

/// Why reading stopped before a command was complete.
#[derive(Debug)]
pub enum ReadError {
    /// The file ends inside a command.
    Truncated,
    /// Something other than a command where one was expected.
    Format,
    Io(io::Error),
}

/// A reader of commands from an AOF file's bytes.
pub struct CommandReader<R> {
    input: R,
    offset: u64,
}

impl<R: BufRead> CommandReader<R> {
    /// Reads from `input`, which starts at byte `offset` of its file.
    pub fn new(input: R, offset: u64) -> CommandReader<R> {
        CommandReader { input, offset }
    }

    /// The offset just after what has been read.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// One line as `fgets` reads it into a `LINE_MAX` buffer: up to and including `\n`, or
    /// `LINE_MAX - 1` bytes. `None` at the end of the file.
    fn line(&mut self, line: &mut Vec<u8>) -> Result<Option<()>, ReadError> {
        line.clear();
        let read = (&mut self.input)
            .take((LINE_MAX - 1) as u64)
            .read_until(b'\n', line)
            .map_err(ReadError::Io)?;
        self.offset += read as u64;
        Ok((read > 0).then_some(()))
    }

    /// The next command's arguments, `None` at a clean end of the file.
    pub fn next_command(&mut self) -> Result<Option<Vec<Vec<u8>>>, ReadError> {
        let mut line = Vec::with_capacity(64);
        let argc = loop {
            if self.line(&mut line)?.is_none() {
                return Ok(None);
            }
            match line.first() {
                Some(b'#') => continue,
                Some(b'*') => {}
                _ => return Err(ReadError::Format),
            }
            if line.len() == 1 {
                // `*` and nothing after it: the file ends mid-line.
                return Err(ReadError::Truncated);
            }
            break c_atoi(&line[1..]);
        };
        if argc < 1 {
            return Err(ReadError::Format);
        }
        let mut argv = Vec::with_capacity((argc as usize).min(1024));
        for _ in 0..argc {
            if self.line(&mut line)?.is_none() {
                return Err(ReadError::Truncated);
            }
            if line[0] != b'$' {
                return Err(ReadError::Format);
            }
            let len = c_atoi(&line[1..]).max(0) as usize;
            let mut arg = Vec::new();
            arg.try_reserve_exact(len + 2)
                .map_err(|_| ReadError::Format)?;
            let got = (&mut self.input)
                .take(len as u64 + 2)
                .read_to_end(&mut arg)
                .map_err(ReadError::Io)?;
            self.offset += got as u64;
            if got < len + 2 {
                return Err(ReadError::Truncated);
            }
            // Redis discards the two bytes after the value without looking at them.
            arg.truncate(len);
            argv.push(arg);
        }
        Ok(Some(argv))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8]) -> (Vec<Vec<Vec<u8>>>, Option<ReadError>, u64) {
        let mut reader = CommandReader::new(bytes, 0);
        let mut commands = Vec::new();
        let mut valid = 0;
        loop {
            match reader.next_command() {
                Ok(Some(argv)) => {
                    commands.push(argv);
                    valid = reader.offset();
                }
                Ok(None) => return (commands, None, valid),
                Err(e) => return (commands, Some(e), valid),
            }
        }
    }

    #[test]
    fn commands_and_annotations_read_back() {
        let text = b"#TS:1700000000\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n";
        let (commands, error, valid) = read_all(text);
        assert!(error.is_none());
        assert_eq!(valid, text.len() as u64);
        assert_eq!(
            commands,
            vec![
                vec![b"SELECT".to_vec(), b"0".to_vec()],
                vec![b"SET".to_vec(), b"k".to_vec(), b"".to_vec()]
            ]
        );
    }

    #[test]
    fn a_cut_tail_is_told_from_damage() {
        let whole = b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
        for cut in 15..whole.len() {
            let (commands, error, valid) = read_all(&whole[..cut]);
            assert_eq!(commands.len(), 1, "cut at {cut}");
            assert!(matches!(error, Some(ReadError::Truncated)), "cut at {cut}");
            assert_eq!(valid, 14);
        }
        let (_, error, _) = read_all(b"*1\r\n$4\r\nPING\r\nGARBAGE\r\n");
        assert!(matches!(error, Some(ReadError::Format)));
        let (_, error, _) = read_all(b"*1\r\nX4\r\nPING\r\n");
        assert!(matches!(error, Some(ReadError::Format)));
        let (_, error, _) = read_all(b"*0\r\n");
        assert!(matches!(error, Some(ReadError::Format)));
    }
}
