//! What the operating system says about the process's memory: RSS, smaps fields, physical memory.
//!
//! These read `/proc` and are slow compared with [`crate::used_memory`]; Redis samples them from
//! its cron, not per command.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::ptr::NonNull;

fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 { size as usize } else { 4096 }
}

/// Field `index` (1-based, as numbered in `proc(5)`) of `/proc/self/stat` as an integer
/// (Redis's `get_proc_stat_ll`). Field 2, the command name, is not a number and gives `None`.
pub fn proc_stat_field(index: usize) -> Option<i64> {
    let mut buf = [0u8; 4096];
    let mut file = File::open("/proc/self/stat").ok()?;
    let mut len = 0;
    while len < buf.len() {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(_) => return None,
        }
    }
    parse_stat_field(&buf[..len], index)
}

/// Parses field `index` from a `/proc/<pid>/stat` line. The command name (field 2) may contain
/// spaces and parentheses, so the fields after it are counted from its *last* `)`.
fn parse_stat_field(line: &[u8], index: usize) -> Option<i64> {
    let text = std::str::from_utf8(line).ok()?;
    match index {
        1 => text.split(' ').next()?.parse().ok(),
        2 | 0 => None,
        _ => {
            let rest = &text[text.rfind(')')? + 1..];
            rest.split_ascii_whitespace().nth(index - 3)?.parse().ok()
        }
    }
}

/// Resident set size of the process in bytes (`zmalloc_get_rss`): `/proc/self/stat` field 24
/// (resident pages) times the page size. Where there is no `/proc`, Redis falls back to
/// [`crate::used_memory`], and so does this.
pub fn rss() -> usize {
    if cfg!(target_os = "linux")
        && let Some(pages) = proc_stat_field(24)
    {
        return pages.max(0) as usize * page_size();
    }
    crate::used_memory()
}

/// Sum of an smaps field over all mappings of process `pid` (`None`: this process), in bytes
/// (`zmalloc_get_smap_bytes_by_field`). `field` includes its colon, e.g. `"Rss:"`. 0 when smaps
/// cannot be read.
pub fn smap_bytes_by_field(field: &str, pid: Option<u32>) -> usize {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/smaps"),
        None => "/proc/self/smaps".to_string(),
    };
    let Ok(file) = File::open(path) else { return 0 };
    sum_smaps_field(BufReader::new(file), field)
}

fn sum_smaps_field(reader: impl BufRead, field: &str) -> usize {
    reader
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| {
            let value = line.strip_prefix(field)?;
            let kib = value.trim().strip_suffix("kB")?.trim();
            kib.parse::<usize>().ok()
        })
        .sum::<usize>()
        * 1024
}

/// Private dirty bytes of process `pid` (`None`: this process): how much a fork child has
/// copied on write (`zmalloc_get_private_dirty`).
pub fn private_dirty(pid: Option<u32>) -> usize {
    smap_bytes_by_field("Private_Dirty:", pid)
}

/// Physical memory of the host in bytes (`zmalloc_get_memory_size`), not limited by cgroups,
/// as Redis reports `total_system_memory`.
pub fn physical_memory() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    if pages > 0 {
        pages as usize * page_size()
    } else {
        0
    }
}

/// Frees memory that the C library allocated itself (`zlibc_free`), e.g. from `strdup(3)`.
///
/// # Safety
/// `ptr` must be null or a live block from the C library's `malloc`.
pub unsafe fn libc_free(ptr: *mut u8) {
    // SAFETY: forwarded contract.
    unsafe { libc::free(ptr.cast()) }
}

/// Drops the whole pages inside a block from RSS (`zmadvise_dontneed`): a fork child does this
/// with data it has written out, so the parent's later writes do not copy those pages.
/// A no-op except with jemalloc on Linux, as in Redis; blocks smaller than a page are skipped.
///
/// # Safety
/// `ptr` must be a live block from this crate whose contents are no longer needed.
pub unsafe fn madvise_dontneed(ptr: NonNull<u8>) {
    if !cfg!(all(feature = "jemalloc", target_os = "linux")) {
        return;
    }
    let page = page_size();
    // SAFETY: forwarded contract.
    let size = unsafe { crate::block_size(ptr) };
    let start = ptr.as_ptr() as usize;
    let aligned = (start + page - 1) & !(page - 1);
    let Some(span) = (start + size).checked_sub(aligned) else {
        return;
    };
    let span = span & !(page - 1);
    if span > 0 {
        // SAFETY: [aligned, aligned + span) lies inside the caller's block, whose contents the
        // caller no longer needs; MADV_DONTNEED replaces them with zero pages.
        unsafe { libc::madvise(aligned as *mut libc::c_void, span, libc::MADV_DONTNEED) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_count_from_the_last_parenthesis() {
        let line = b"4242 (we (ird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 1 0 99 1000 321 18446744073709551615";
        assert_eq!(parse_stat_field(line, 1), Some(4242));
        assert_eq!(parse_stat_field(line, 2), None);
        assert_eq!(parse_stat_field(line, 4), Some(1));
        assert_eq!(parse_stat_field(line, 14), Some(5));
        assert_eq!(parse_stat_field(line, 23), Some(1000));
        assert_eq!(parse_stat_field(line, 24), Some(321));
        assert_eq!(parse_stat_field(line, 60), None);
    }

    #[test]
    fn own_stat_has_our_pid_and_resident_pages() {
        assert_eq!(proc_stat_field(1), Some(std::process::id() as i64));
        assert!(proc_stat_field(24).unwrap() > 0);
    }

    #[test]
    fn smaps_fields_sum_in_bytes() {
        let smaps = "00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/dbus-daemon\n\
                     Rss:                 12 kB\n\
                     Private_Dirty:        4 kB\n\
                     00651000-00652000 rw-p 00051000 08:02 173521\n\
                     Rss:                  8 kB\n\
                     Private_Dirty:        8 kB\n\
                     Private_Dirty_Bogus: 99 kB\n";
        assert_eq!(sum_smaps_field(smaps.as_bytes(), "Rss:"), 20 * 1024);
        assert_eq!(
            sum_smaps_field(smaps.as_bytes(), "Private_Dirty:"),
            12 * 1024
        );
        assert_eq!(sum_smaps_field(smaps.as_bytes(), "Swap:"), 0);
    }

    #[test]
    fn own_smaps_rss_is_close_to_stat_rss() {
        let _alone = crate::PROCESS_MEMORY_TEST
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let smaps_rss = smap_bytes_by_field("Rss:", None);
        let stat_rss = rss();
        assert!(smaps_rss > 0 && stat_rss > 0);
        let ratio = smaps_rss as f64 / stat_rss as f64;
        assert!(
            (0.8..1.25).contains(&ratio),
            "smaps {smaps_rss} vs stat {stat_rss}"
        );
        assert_eq!(
            private_dirty(Some(std::process::id())) > 0,
            private_dirty(None) > 0
        );
    }

    #[test]
    fn physical_memory_matches_meminfo() {
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
        let kib: usize = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().strip_suffix("kB"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap();
        let phys = physical_memory();
        assert!(
            phys.abs_diff(kib * 1024) < phys / 100,
            "{phys} vs {kib} KiB"
        );
    }
}
