//! Network and protocol: accepting connections, serving each one, framing requests and
//! encoding replies.

pub mod buffer;
pub mod client_io;
pub mod connection;
pub mod descriptors;
pub mod listener;
pub mod reply;
pub mod request;
