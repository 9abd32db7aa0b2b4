//! Prints what one string costs (handle + heap block) as `Sds`, `Vec<u8>`, `Box<[u8]>` and
//! `String`, measured through the counting allocator:
//!
//! ```text
//! cargo run --release -p sds --example sizes
//! ```

use sds::Sds;

#[global_allocator]
static GLOBAL: zmalloc::Zmalloc = zmalloc::Zmalloc;

/// Heap bytes that `make` allocates, plus the size of the handle it returns.
fn cost<T>(make: impl FnOnce() -> T) -> usize {
    let before = zmalloc::used_memory();
    let value = make();
    let heap = zmalloc::used_memory() - before;
    drop(value);
    heap + size_of::<T>()
}

fn main() {
    println!("| length | Sds | Vec<u8> | Box<[u8]> | String |");
    println!("|---:|---:|---:|---:|---:|");
    for len in [0, 5, 11, 31, 32, 100, 1000] {
        let bytes = vec![b'x'; len];
        let text = "x".repeat(len);
        println!(
            "| {len} | {} | {} | {} | {} |",
            cost(|| Sds::new(&bytes)),
            cost(|| bytes.clone()),
            cost(|| bytes.clone().into_boxed_slice()),
            cost(|| text.clone()),
        );
    }
}
