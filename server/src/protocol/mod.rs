//! What both sides of the wire share, below commands and the network: a request's arguments
//! and their parsing, the reply encoder and protocol version, the error replies, and a
//! client's query and reply buffers (shared by its connection and the cron). The
//! request parser (`net`) builds `Args`; handlers (`cmd`) read them and write replies.

pub mod args;
pub mod buffer;
pub mod client_io;
pub mod errors;
pub mod reply;

pub use args::{Args, OwnedArgs};
pub use errors::{CmdError, CmdResult};
