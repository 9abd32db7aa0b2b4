//! `split_args` on any line: it never panics, and when it splits the line, writing each
//! argument back with `cat_repr` and splitting again gives the same arguments.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sds::Sds;

fuzz_target!(|line: &[u8]| {
    let Ok(args) = sds::split_args(line) else {
        return;
    };
    let mut written = Sds::empty();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            written.cat(b" ");
        }
        written.cat_repr(arg);
    }
    let again = sds::split_args(&written).expect("cat_repr output splits");
    assert_eq!(again, args, "{written:?}");
});
