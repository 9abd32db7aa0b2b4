//! The out-of-memory handler called by the panicking allocation functions.
//!
//! The default handler writes Redis's message to stderr and aborts. A server replaces it to log
//! through its own channels first ([`set_oom_handler`]). A handler that returns makes the failed
//! call panic, since a panicking form has no null to return.

use std::io::Write;
use std::sync::RwLock;

static HANDLER: RwLock<fn(usize)> = RwLock::new(default_oom_handler);

/// Replaces the handler called with the requested size when a panicking allocation fails
/// (`zmalloc_set_oom_handler`).
pub fn set_oom_handler(handler: fn(usize)) {
    *HANDLER
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = handler;
}

/// Writes `zmalloc: Out of memory trying to allocate <size> bytes` to stderr and aborts.
///
/// The message is formatted on the stack: there is no memory to format it in.
pub fn default_oom_handler(size: usize) {
    let mut message = [0u8; 96];
    let mut cursor = &mut message[..];
    let _ = writeln!(
        cursor,
        "zmalloc: Out of memory trying to allocate {size} bytes"
    );
    let unused = cursor.len();
    let len = message.len() - unused;
    // SAFETY: writes `len` initialised bytes of a live stack buffer to fd 2.
    unsafe { libc::write(2, message.as_ptr().cast(), len) };
    std::process::abort();
}

/// Runs the installed handler for a failed request of `size` bytes.
#[cold]
#[inline(never)]
pub(crate) fn out_of_memory(size: usize) -> ! {
    let handler = *HANDLER
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    handler(size);
    panic!("zmalloc: the OOM handler returned after a failed allocation of {size} bytes");
}
