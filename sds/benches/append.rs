//! Append throughput: building a 64 KiB string from 1–16 byte pieces, `Sds::cat` against
//! `Vec::extend_from_slice`, both on jemalloc through the counting allocator.
//!
//! ```text
//! cargo bench -p sds --bench append
//! ```

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sds::Sds;

#[global_allocator]
static GLOBAL: zmalloc::Zmalloc = zmalloc::Zmalloc;

const TARGET: usize = 64 * 1024;
const PIECES: &[u8] = b"0123456789abcdef";

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("append_64KiB");
    group.throughput(Throughput::Bytes(TARGET as u64));
    group.bench_function("sds_cat", |b| {
        b.iter(|| {
            let mut s = Sds::empty();
            let mut piece = 1;
            while s.len() < TARGET {
                s.cat(&PIECES[..piece]);
                piece = piece % 16 + 1;
            }
            black_box(s)
        })
    });
    group.bench_function("vec_extend", |b| {
        b.iter(|| {
            let mut v = Vec::new();
            let mut piece = 1;
            while v.len() < TARGET {
                v.extend_from_slice(&PIECES[..piece]);
                piece = piece % 16 + 1;
            }
            black_box(v)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
