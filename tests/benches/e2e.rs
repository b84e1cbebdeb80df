//! End-to-end benchmarks (work in progress).
fn main() {}
