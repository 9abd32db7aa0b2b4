//! Network and protocol: accepting connections, serving each one, framing requests and
//! encoding replies.

pub mod busy;
pub mod connection;
pub mod listener;
pub mod master_link;
mod replica;
pub mod request;
