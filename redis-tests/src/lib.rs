//! Harness for testing zedis against a reference Redis 7.0 with the real Redis tools: starting
//! both servers on free loopback ports, a raw RESP connection that returns each reply's exact
//! bytes, the scenario runner of the differential tests, and the runner of Redis's own TCL suite
//! (`suite`).

pub mod bench;
pub mod raw;
pub mod scenario;
pub mod servers;
pub mod suite;

// Count every allocation of the test process, as the server binary does.
#[global_allocator]
static GLOBAL: zmalloc::Zmalloc = zmalloc::Zmalloc;
