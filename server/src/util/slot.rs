//! Redis Cluster's key hash slot (`keyHashSlot`): CRC16 (XMODEM) of the key, or of the part
//! between the first `{` and the next `}` when that part is not empty (a hash tag), modulo
//! 16384. The `crc` crate's `CRC_16_XMODEM` is Redis's `crc16` (see rust-crates.md).

/// Slots in a cluster.
pub const SLOTS: u16 = 16384;

const XMODEM: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_XMODEM);

/// The slot `key` hashes to.
pub fn key_slot(key: &[u8]) -> u16 {
    let tagged = key.iter().position(|&b| b == b'{').and_then(|open| {
        let rest = &key[open + 1..];
        let close = rest.iter().position(|&b| b == b'}')?;
        (close > 0).then(|| &rest[..close])
    });
    XMODEM.checksum(tagged.unwrap_or(key)) & (SLOTS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_redis_s() {
        // Values from Redis 7.0.15's CLUSTER KEYSLOT.
        assert_eq!(key_slot(b"123456789"), 12739);
        assert_eq!(key_slot(b"{user1000}.following"), 3443);
        assert_eq!(key_slot(b"{user1000}.followers"), 3443);
        assert_eq!(key_slot(b"foo{}{bar}"), 8363);
        assert_eq!(key_slot(b"foo{{bar}}zap"), 4015);
        assert_eq!(key_slot(b"foo{bar}{zap}"), 5061);
        assert_eq!(key_slot(b""), 0);
    }
}
