//! Redis 7.0.15's own TCL test suite, run in external-server mode against zedis (and against
//! the reference redis-server for comparison): obtaining it, running a unit, reading its
//! output, and judging the result against the expectations file.

pub mod expectations;
pub mod output;
pub mod runner;
