//! What zedis reports itself as to clients: the Redis version whose behaviour it follows
//! (`INFO server`, `HELLO`, `LOLWUT`).

/// The Redis release zedis answers as.
pub const REDIS_VERSION: &str = "7.0.15";
