//! The OOM handler: the default prints Redis's message and aborts; a custom one is called with
//! the failed size. The default handler is observed in a child process running this binary.

use std::process::Command;

/// A size the allocator cannot map (1 EiB) but that passes the `usize::MAX / 2` guard.
const UNMAPPABLE: usize = 1 << 60;

const CHILD_ENV: &str = "ZMALLOC_OOM_CHILD";

#[test]
fn default_handler_prints_and_aborts() {
    if std::env::var_os(CHILD_ENV).is_some() {
        // In the child: this must not return.
        let _ = zmalloc::malloc(UNMAPPABLE);
        unreachable!("malloc returned after an impossible allocation");
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "default_handler_prints_and_aborts",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "zmalloc: Out of memory trying to allocate {UNMAPPABLE} bytes\n"
        )),
        "stderr: {stderr}"
    );
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        output.status.signal(),
        Some(libc::SIGABRT),
        "{:?}",
        output.status
    );
}

static REPORTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn record_size(size: usize) {
    REPORTED.store(size, std::sync::atomic::Ordering::SeqCst);
}

#[test]
fn custom_handler_sees_the_size_and_a_returning_handler_panics() {
    zmalloc::set_oom_handler(record_size);
    let result = std::panic::catch_unwind(|| zmalloc::malloc(UNMAPPABLE));
    assert!(result.is_err());
    assert_eq!(
        REPORTED.load(std::sync::atomic::Ordering::SeqCst),
        UNMAPPABLE
    );

    let result = std::panic::catch_unwind(|| zmalloc::calloc_num(usize::MAX, 16));
    assert!(result.is_err());
    assert_eq!(
        REPORTED.load(std::sync::atomic::Ordering::SeqCst),
        usize::MAX
    );

    let impossible = usize::MAX / 2 + 7;
    let result = std::panic::catch_unwind(|| zmalloc::calloc(impossible));
    assert!(result.is_err());
    assert_eq!(
        REPORTED.load(std::sync::atomic::Ordering::SeqCst),
        impossible
    );
    zmalloc::set_oom_handler(zmalloc::default_oom_handler);
}
