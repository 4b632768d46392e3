//! Merkle log proofs at the scale of a large vote: a 1,000,000-leaf tree.
//!
//! Run with `cargo bench --bench merkle` (add `-- --warm-up-time 1 --measurement-time 3` for a
//! quick run). The target is an inclusion proof in at most 2 ms.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use yishiting::domain::merkle::{
    leaf_hash, verify_consistency, verify_inclusion, Hash, MerkleTree,
};

const SIZE: u64 = 1_000_000;

fn leaf(i: u64) -> Hash {
    leaf_hash(&i.to_be_bytes())
}

fn big_tree() -> MerkleTree {
    let started = Instant::now();
    let tree: MerkleTree = (0..SIZE).map(leaf).collect();
    eprintln!(
        "built a {SIZE}-leaf tree (leaf hashing included) in {:.2?}",
        started.elapsed()
    );
    tree
}

fn proofs(c: &mut Criterion) {
    let tree = big_tree();
    let root = tree.root();

    let mut group = c.benchmark_group("inclusion_proof");
    for index in [0, 123_456, 500_000, 999_999] {
        group.bench_with_input(BenchmarkId::from_parameter(index), &index, |b, &index| {
            b.iter(|| tree.inclusion_proof(black_box(index), black_box(SIZE)))
        });
    }
    group.finish();

    let index = 123_456;
    let proof = tree
        .inclusion_proof(index, SIZE)
        .expect("index and size are in range");
    let leaf_123456 = leaf(index);
    c.bench_function("verify_inclusion/123456", |b| {
        b.iter(|| {
            verify_inclusion(
                black_box(&leaf_123456),
                black_box(index),
                black_box(SIZE),
                black_box(&proof),
                black_box(&root),
            )
        })
    });

    c.bench_function("consistency_proof/500000-1000000", |b| {
        b.iter(|| tree.consistency_proof(black_box(500_000), black_box(SIZE)))
    });
    let old_root = tree.root_at(500_000).expect("size is in range");
    let proof = tree
        .consistency_proof(500_000, SIZE)
        .expect("sizes are in range");
    c.bench_function("verify_consistency/500000-1000000", |b| {
        b.iter(|| {
            verify_consistency(
                black_box(500_000),
                black_box(SIZE),
                black_box(&old_root),
                black_box(&root),
                black_box(&proof),
            )
        })
    });

    c.bench_function("root_at/777777", |b| {
        b.iter(|| tree.root_at(black_box(777_777)))
    });
}

fn push(c: &mut Criterion) {
    // Amortised cost of one append (node hashes and vector growth included, leaf hashing not):
    // each measurement fills a fresh tree with `iters` leaves.
    let leaf = leaf(42);
    c.bench_function("push", |b| {
        b.iter_custom(|iters| {
            let mut tree = MerkleTree::new();
            let started = Instant::now();
            for _ in 0..iters {
                black_box(tree.push(black_box(leaf)));
            }
            let elapsed: Duration = started.elapsed();
            drop(tree);
            elapsed
        })
    });
}

criterion_group!(benches, proofs, push);
criterion_main!(benches);
