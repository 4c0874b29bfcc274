//! The committed demonstration datasets are exactly what their generator writes.

#[allow(dead_code)]
mod generator {
    include!("../datasets/generate.rs");
}

#[test]
fn committed_datasets_match_the_generator_byte_for_byte() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets");
    for (name, text) in generator::datasets() {
        let committed = std::fs::read_to_string(dir.join(name)).expect("committed dataset");
        assert!(
            committed == text,
            "datasets/{name} differs from the generator; run `cargo run --release --example make-datasets`"
        );
    }
}

#[test]
fn datasets_stay_small() {
    let total: usize = generator::datasets().iter().map(|(_, text)| text.len()).sum();
    assert!(total < 1_000_000, "{total} bytes");
}
