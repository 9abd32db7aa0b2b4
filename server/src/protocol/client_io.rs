//! The buffers of one client: its query buffer and its reply buffer. The connection task reads
//! and writes through them; the cron resizes them (Redis's `clientsCronResizeQueryBuffer` and
//! `clientsCronResizeOutputBuffer`) while the client is idle. Both live on the command thread
//! behind one `RefCell`, borrowed only inside synchronous code, so the two never overlap.

use super::buffer::QueryBuffer;
use crate::protocol::reply::{Protocol, Reply};

pub struct ClientIo {
    pub input: QueryBuffer,
    pub reply: Reply,
    /// Requests were taken from `input` by someone other than the connection task (the
    /// server serving clients during a busy script): the task parses afresh.
    pub rewound: bool,
}

impl ClientIo {
    pub fn new(protocol: Protocol) -> ClientIo {
        ClientIo {
            input: QueryBuffer::default(),
            reply: Reply::new(protocol),
            rewound: false,
        }
    }
}
