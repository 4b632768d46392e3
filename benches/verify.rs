//! The offline verifier over a synthetic bundle of 100,000 ballots in a directory (the
//! issue's target: ≤ 1 s on 2 cores). Numbers: docs/performance.md.

use criterion::{criterion_group, criterion_main, Criterion};
use yishiting::verify::{self, fixture};

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut entries = std::fs::File::create(dir.path().join("entries.jsonl")).expect("entries");
    let f = fixture::Fixture::build_to(fixture::Spec::new(100_000, false), &mut entries)
        .expect("fixture");
    f.write_dir(dir.path()).expect("write");
    drop(entries);
    assert!(verify::verify_dir(dir.path()).ok(), "the fixture verifies");
    let mut g = c.benchmark_group("verify");
    g.sample_size(10);
    g.bench_function("verify_dir 100k ballots (open)", |b| {
        b.iter(|| verify::verify_dir(dir.path()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
