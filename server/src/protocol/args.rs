//! The arguments of one request, as slices of the read buffer, and their typed parsing with
//! Redis's errors.

use std::ops::Range;

use super::errors::{self, CmdError};

/// A request's arguments; `args[0]` is the command name. Borrowed from the connection's read
/// buffer: nothing is copied until a command stores a value.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    data: &'a [u8],
    ranges: &'a [Range<usize>],
}

impl<'a> Args<'a> {
    pub fn new(data: &'a [u8], ranges: &'a [Range<usize>]) -> Args<'a> {
        Args { data, ranges }
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Argument `i`; panics past the end (arity is checked before a handler runs).
    #[inline]
    pub fn get(&self, i: usize) -> &'a [u8] {
        &self.data[self.ranges[i].clone()]
    }

    /// Argument `i`, if there is one.
    pub fn try_get(&self, i: usize) -> Option<&'a [u8]> {
        self.ranges.get(i).map(|r| &self.data[r.clone()])
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        let data = self.data;
        self.ranges.iter().map(move |r| &data[r.clone()])
    }

    /// Arguments from `start` on.
    pub fn from(&self, start: usize) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        let data = self.data;
        self.ranges[start.min(self.ranges.len())..]
            .iter()
            .map(move |r| &data[r.clone()])
    }

    /// Argument `i` as an integer (`ERR value is not an integer or out of range`).
    pub fn i64(&self, i: usize) -> Result<i64, CmdError> {
        crate::util::parse_i64(self.get(i)).ok_or(errors::NOT_INTEGER)
    }

    /// Argument `i` as an integer of at least 0 (Redis's `getPositiveLongFromObjectOrReply`):
    /// anything else, unparsable included, is the error `error`.
    pub fn non_negative(&self, i: usize, error: CmdError) -> Result<i64, CmdError> {
        match crate::util::parse_i64(self.get(i)) {
            Some(v) if v >= 0 => Ok(v),
            _ => Err(error),
        }
    }

    /// Argument `i` as an integer in `min..=max` (Redis's `getRangeLongFromObjectOrReply`).
    /// With `error`, every failure is that error; without, an unparsable argument is the usual
    /// integer error and one out of range names the bounds.
    pub fn i64_in(
        &self,
        i: usize,
        min: i64,
        max: i64,
        error: Option<CmdError>,
    ) -> Result<i64, CmdError> {
        let value = crate::util::parse_i64(self.get(i))
            .ok_or_else(|| error.clone().unwrap_or(errors::NOT_INTEGER))?;
        if (min..=max).contains(&value) {
            return Ok(value);
        }
        Err(error.unwrap_or_else(|| {
            CmdError::owned(format!(
                "ERR value is out of range, value must between {min} and {max}"
            ))
        }))
    }

    /// Whether argument `i` equals `word`, ignoring ASCII case.
    pub fn is(&self, i: usize, word: &str) -> bool {
        self.try_get(i)
            .is_some_and(|a| a.eq_ignore_ascii_case(word.as_bytes()))
    }

    /// A copy that outlives the read buffer (for `MULTI` queues).
    pub fn to_owned(&self) -> OwnedArgs {
        OwnedArgs::collect(self.iter(), self.ranges.iter().map(|r| r.len()).sum())
    }
}

impl std::ops::Index<usize> for Args<'_> {
    type Output = [u8];

    fn index(&self, i: usize) -> &[u8] {
        self.get(i)
    }
}

/// Arguments copied out of the read buffer.
#[derive(Debug, Clone, Default)]
pub struct OwnedArgs {
    data: Vec<u8>,
    ranges: Vec<Range<usize>>,
}

impl OwnedArgs {
    pub fn from_slices(args: &[&[u8]]) -> OwnedArgs {
        OwnedArgs::collect(args.iter().copied(), args.iter().map(|a| a.len()).sum())
    }

    fn collect<'a>(args: impl ExactSizeIterator<Item = &'a [u8]>, bytes: usize) -> OwnedArgs {
        let mut owned = OwnedArgs::with_capacity(args.len(), bytes);
        for arg in args {
            owned.push(arg);
        }
        owned
    }

    /// Room for `args` arguments of `bytes` bytes in all, filled with [`Self::push`].
    pub fn with_capacity(args: usize, bytes: usize) -> OwnedArgs {
        OwnedArgs {
            data: Vec::with_capacity(bytes),
            ranges: Vec::with_capacity(args),
        }
    }

    pub fn push(&mut self, arg: &[u8]) {
        let start = self.data.len();
        self.data.extend_from_slice(arg);
        self.ranges.push(start..self.data.len());
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn args(&self) -> Args<'_> {
        Args::new(&self.data, &self.ranges)
    }

    /// Bytes held, for client memory accounting.
    pub fn memory(&self) -> usize {
        self.data.capacity() + self.ranges.capacity() * size_of::<Range<usize>>()
    }
}
