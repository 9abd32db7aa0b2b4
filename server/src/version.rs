//! What zedis reports itself as: the Redis version whose behaviour it follows (`INFO server`,
//! `HELLO`, `LOLWUT`) and its own version, commit and build id (`INFO server`'s `zedis_*`
//! fields, `zedis-server --version`), the latter from `build.rs`.

/// The Redis release zedis answers as.
pub const REDIS_VERSION: &str = "7.0.15";

/// zedis's own version.
pub const ZEDIS_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The first 8 hex digits of the commit built, `00000000` outside a git checkout.
pub const GIT_SHA1: &str = env!("ZEDIS_GIT_SHA1");

/// `1` when the checkout had uncommitted changes, else `0`.
pub const GIT_DIRTY: &str = env!("ZEDIS_GIT_DIRTY");

/// A hex id of this build (version, commit, dirty flag, target and profile hashed).
pub const BUILD_ID: &str = env!("ZEDIS_BUILD_ID");

/// `zedis-server --version`: redis-server's line, which tools parse for `v=`, with zedis's
/// own version added at the end.
pub fn version_line(allocator: &str) -> String {
    format!(
        "Redis server v={REDIS_VERSION} sha={GIT_SHA1}:{} malloc={allocator} bits={} \
         build={BUILD_ID} zedis={ZEDIS_VERSION}",
        u8::from(GIT_DIRTY != "0"),
        usize::BITS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_line_reads_as_redis_servers() {
        let line = version_line("jemalloc-5.3.0");
        assert!(line.starts_with("Redis server v=7.0.15 sha="), "{line}");
        assert!(
            line.contains(" malloc=jemalloc-5.3.0 bits=64 build="),
            "{line}"
        );
        assert!(line.ends_with(&format!(" zedis={ZEDIS_VERSION}")), "{line}");
        assert_eq!(GIT_SHA1.len(), 8);
        assert!(GIT_SHA1.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(u64::from_str_radix(BUILD_ID, 16).is_ok());
    }
}
