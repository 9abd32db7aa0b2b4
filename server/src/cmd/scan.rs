//! SCAN's cursor and options, and the scan of one collection that HSCAN, SSCAN and ZSCAN
//! share.

use super::errors::{self, CmdError, CmdResult};
use super::values::get;
use super::{Args, Ctx};
use crate::db::Lookup;
use crate::types::Collection;
use crate::util::glob_match;

/// A SCAN cursor as Redis reads it with `strtoul`: optional sign (a negative number wraps),
/// decimal digits, nothing else; an empty cursor is 0.
pub fn parse_cursor(arg: &[u8]) -> Result<u64, CmdError> {
    let invalid = || CmdError::new("ERR invalid cursor");
    let (negative, digits) = match arg.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, arg),
    };
    if digits.is_empty() {
        return if arg.is_empty() {
            Ok(0)
        } else {
            Err(invalid())
        };
    }
    let mut value: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return Err(invalid());
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add((b - b'0') as u64))
            .ok_or_else(invalid)?;
    }
    Ok(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// Options shared by SCAN, SSCAN, HSCAN and ZSCAN.
pub struct ScanOptions<'a> {
    pub pattern: Option<&'a [u8]>,
    pub count: usize,
    pub type_filter: Option<&'a [u8]>,
}

impl<'a> ScanOptions<'a> {
    /// Parses `[MATCH pattern] [COUNT count]`, and `[TYPE type]` when `with_type` (SCAN), from
    /// argument `start` on.
    pub fn parse(
        args: &Args<'a>,
        start: usize,
        with_type: bool,
    ) -> Result<ScanOptions<'a>, CmdError> {
        let mut options = ScanOptions {
            pattern: None,
            count: 10,
            type_filter: None,
        };
        let mut i = start;
        while i < args.len() {
            let has_value = i + 1 < args.len();
            if args.is(i, "COUNT") && has_value {
                let count = args.i64(i + 1)?;
                if count < 1 {
                    return Err(errors::SYNTAX);
                }
                options.count = count as usize;
            } else if args.is(i, "MATCH") && has_value {
                let pattern = args.get(i + 1);
                options.pattern = (pattern != b"*").then_some(pattern);
            } else if args.is(i, "TYPE") && has_value && with_type {
                options.type_filter = Some(args.get(i + 1));
            } else {
                return Err(errors::SYNTAX);
            }
            i += 2;
        }
        Ok(options)
    }
}

/// HSCAN, SSCAN and ZSCAN: the cursor is checked first, then the key (missing: an empty
/// scan), then the options. `step` runs one scan step, pushing elements (field and value, or
/// member and score, as consecutive items when `pairs`) and returning the next cursor.
pub fn scan_collection<T: Collection>(
    ctx: &mut Ctx,
    args: &Args,
    pairs: bool,
    step: impl FnOnce(&T, u64, usize, &mut Vec<Vec<u8>>) -> u64,
) -> CmdResult {
    let cursor = parse_cursor(args.get(2))?;
    let db = ctx.client.db;
    let Some(value) = get::<T>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)? else {
        ctx.reply.array(2);
        ctx.reply.bulk(b"0");
        ctx.reply.array(0);
        return Ok(());
    };
    let options = ScanOptions::parse(args, 3, false)?;
    let mut items = Vec::new();
    let next = step(value, cursor, options.count, &mut items);
    let width = if pairs { 2 } else { 1 };
    if let Some(pattern) = options.pattern {
        let mut kept = Vec::with_capacity(items.len());
        for chunk in items.chunks(width) {
            if glob_match(pattern, &chunk[0], false) {
                kept.extend_from_slice(chunk);
            }
        }
        items = kept;
    }
    ctx.reply.array(2);
    ctx.reply.bulk(next.to_string().as_bytes());
    ctx.reply.array(items.len());
    for item in &items {
        ctx.reply.bulk(item);
    }
    Ok(())
}
