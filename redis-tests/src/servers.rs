//! The servers under test, started by the shared test kit (`zedis-testkit`): a reference
//! `redis-server` process (`RedisServer::redis(extra)`) and zedis on its own thread in this
//! process (`Zedis::with_debug_command(extra)`), each on a free loopback port and stopped when
//! dropped.

pub use zedis_testkit::{free_port, have_tool, require_redis_tools};

/// A reference redis-server 7.0 process.
pub type RedisServer = zedis_testkit::ServerProcess;

/// zedis on a thread of this process.
pub type Zedis = zedis_testkit::InProcess;
