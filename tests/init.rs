//! `reuse-bench init DATA` on the user's own data (a numeric CSV, an IDX
//! pair) writes a suite that `run --quick` completes; bad data and bad
//! requests get a clear error naming the file and the fix, and write nothing.

mod common;

use common::{expect_code, read_json, stderr, Fixture};
use std::path::Path;

/// `classes` classes of `per_class` rows, 8 noisy features that tell them apart.
fn blobs(classes: usize, per_class: usize) -> Vec<(Vec<f64>, usize)> {
    let mut state = 2024u64;
    let mut noise = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as f64 / (1u64 << 31) as f64 - 0.5
    };
    (0..classes * per_class)
        .map(|i| {
            let c = i % classes;
            let x = (0..8).map(|j| ((c * (j + 1)) % 7) as f64 + noise() * 2.0).collect();
            (x, c)
        })
        .collect()
}

fn write_csv(path: &Path, rows: &[(Vec<f64>, usize)]) {
    let mut text = String::from("a,b,c,d,e,f,g,h,kind\n");
    for (x, c) in rows {
        let fields: Vec<String> = x.iter().map(|v| format!("{v:.3}")).collect();
        text.push_str(&format!("{},k{c}\n", fields.join(",")));
    }
    std::fs::write(path, text).unwrap();
}

/// An unsigned-byte IDX file of the given dimensions.
fn write_idx(path: &Path, dims: &[u32], data: &[u8]) {
    let mut bytes = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).unwrap();
}

/// A `size` x `size` grey PNG of class `c`: a bright bar whose position is the
/// class, on noise.
fn write_png(path: &Path, size: u32, c: u32, seed: u32) {
    let img = image::GrayImage::from_fn(size, size, |x, y| {
        let noise = (x * 31 + y * 17 + seed * 13) % 40;
        let bar = if (x * 4 / size) == c % 4 && (y * 2 / size) == c / 4 {
            200
        } else {
            0
        };
        image::Luma([(bar + noise) as u8])
    });
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    img.save(path).unwrap();
}

/// Runs the suite `init` wrote, quickly, and checks its results are real.
fn runs_quick(fx: &Fixture, suite: &str, classes_studied: usize) {
    runs_quick_with(fx, suite, classes_studied, 3);
}

/// [`runs_quick`] for a suite of `strategies` strategies.
fn runs_quick_with(fx: &Fixture, suite: &str, classes_studied: usize, strategies: usize) {
    let out = fx.run(&["run", "--suite", suite, "--quick", "--out", "report"]);
    expect_code(&out, 0);
    let r = read_json(&fx.path("report/results.json"));
    let runs = r["runs"].as_array().unwrap();
    assert_eq!(runs.len(), strategies * 2 * 2, "strategies x 2 budgets x 2 seeds");
    assert!(runs.iter().all(|run| run["status"] == "completed"), "{runs:?}");
    let chance = 1.0 / classes_studied as f64;
    let best = runs
        .iter()
        .filter_map(|run| run["metrics"]["test_accuracy"].as_f64())
        .fold(0.0, f64::max);
    assert!(best > chance + 0.2, "best accuracy {best} is near chance {chance}");
}

/// `init ARGS --out refused.toml` exits `code`, says each of `says` and writes nothing.
fn init_refuses(fx: &Fixture, args: &[&str], code: i32, says: &[&str]) {
    let mut all = vec!["init"];
    all.extend_from_slice(args);
    all.extend(["--out", "refused.toml"]);
    let out = fx.run(&all);
    expect_code(&out, code);
    for said in says {
        assert!(
            stderr(&out).contains(said),
            "{args:?}: expected '{said}' in: {}",
            stderr(&out)
        );
    }
    assert!(!fx.path("refused.toml").exists());
}

/// `init ARGS --out OUT` succeeds and writes a suite holding each of
/// `lines`; returns what it printed on stderr.
fn init_writes(fx: &Fixture, args: &[&str], out: &str, lines: &[&str]) -> String {
    let mut all = vec!["init"];
    all.extend_from_slice(args);
    all.extend(["--out", out]);
    let output = fx.run(&all);
    expect_code(&output, 0);
    let text = std::fs::read_to_string(fx.path(out)).unwrap();
    for line in lines {
        assert!(text.contains(line), "missing {line} in:\n{text}");
    }
    stderr(&output)
}

#[test]
fn a_numeric_csv_with_source_classes_becomes_a_suite_that_runs() {
    let fx = Fixture::new();
    write_csv(&fx.path("shapes.csv"), &blobs(6, 80));
    let said = init_writes(
        &fx,
        &["shapes.csv", "--label-column", "kind", "--source-classes", "k0,k1,k2"],
        "shapes.toml",
        // The labels are named in a comment.
        &["kind = \"table\"", "label_column = \"kind\"", "0 = k0"],
    );
    assert!(said.contains("6 classes"), "{said}");
    runs_quick(&fx, "shapes.toml", 3);

    // The file exists now: init never overwrites it.
    let again = fx.run(&[
        "init",
        "shapes.csv",
        "--label-column",
        "kind",
        "--source-classes",
        "k0",
        "--out",
        "shapes.toml",
    ]);
    expect_code(&again, 1);
    assert!(stderr(&again).contains("never overwrites"), "{}", stderr(&again));
}

#[test]
fn a_held_out_test_file_is_the_test_set() {
    let fx = Fixture::new();
    let rows = blobs(5, 90);
    write_csv(&fx.path("train.csv"), &rows[..5 * 70]);
    write_csv(&fx.path("test.csv"), &rows[5 * 70..]);
    init_writes(
        &fx,
        &[
            "train.csv",
            "--label-column",
            "kind",
            "--source-classes",
            "k0,k1",
            "--test",
            "test.csv",
        ],
        "s.toml",
        &["test_path = \"test.csv\"", "target_test_per_class = 0"],
    );
    runs_quick(&fx, "s.toml", 3);
    let summary = std::fs::read_to_string(fx.path("report/summary.md")).unwrap();
    assert!(summary.contains("the test set test.csv"), "{summary}");

    // A test file with a label the data lacks stops init, naming it.
    std::fs::write(fx.path("odd.csv"), "a,b,c,d,e,f,g,h,kind\n1,2,3,4,5,6,7,8,k9\n").unwrap();
    init_refuses(
        &fx,
        &[
            "train.csv",
            "--label-column",
            "kind",
            "--source-classes",
            "k0,k1",
            "--test",
            "odd.csv",
        ],
        1,
        &["odd.csv", "'k9'"],
    );
}

#[test]
fn an_idx_pair_becomes_a_suite_that_runs() {
    let fx = Fixture::new();
    let rows = blobs(5, 60);
    let pixels: Vec<u8> = rows
        .iter()
        .flat_map(|(x, _)| x.iter().map(|v| ((v + 1.0) * 30.0).clamp(0.0, 255.0) as u8))
        .collect();
    let labels: Vec<u8> = rows.iter().map(|(_, c)| *c as u8).collect();
    write_idx(&fx.path("toy-images-idx3-ubyte"), &[rows.len() as u32, 2, 4], &pixels);
    write_idx(&fx.path("toy-labels-idx1-ubyte"), &[rows.len() as u32], &labels);
    // The labels file is found beside the images by MNIST's naming.
    init_writes(
        &fx,
        &["toy-images-idx3-ubyte", "--source-classes", "0,1"],
        "toy.toml",
        &["labels_path = \"toy-labels-idx1-ubyte\""],
    );
    runs_quick(&fx, "toy.toml", 3);
}

#[test]
fn an_image_folder_becomes_a_suite_that_runs() {
    let fx = Fixture::new();
    for c in 0..6 {
        for i in 0..40 {
            write_png(&fx.path(&format!("shapes/class{c}/{i:03}.png")), 12, c, i);
        }
    }
    init_writes(
        &fx,
        &["shapes", "--source-classes", "class0,class1,class2"],
        "shapes.toml",
        &["image folder format, 144 values per example", "3 = class3"],
    );
    runs_quick(&fx, "shapes.toml", 3);
}

#[test]
fn bad_image_folders_are_named_and_write_nothing() {
    let fx = Fixture::new();
    let refused = |folder: &str, says: &str| init_refuses(&fx, &[folder, "--source-classes", "a"], 1, &[says]);
    // An empty class folder.
    write_png(&fx.path("empty/a/1.png"), 8, 0, 0);
    std::fs::create_dir_all(fx.path("empty/b")).unwrap();
    refused("empty", "no PNG or JPEG");
    // An image that does not decode.
    write_png(&fx.path("broken/a/1.png"), 8, 0, 0);
    std::fs::create_dir_all(fx.path("broken/b")).unwrap();
    std::fs::write(fx.path("broken/b/2.png"), b"not a png").unwrap();
    refused("broken", "2.png");
    // Images of two sizes: the fix is task.image_size.
    write_png(&fx.path("mixed/a/1.png"), 8, 0, 0);
    write_png(&fx.path("mixed/b/2.png"), 10, 1, 0);
    refused("mixed", "image_size");
    // One class folder only.
    write_png(&fx.path("single/a/1.png"), 8, 0, 0);
    refused("single", "1 class sub-folder");
}

#[test]
fn bad_data_and_requests_are_named_and_write_nothing() {
    let fx = Fixture::new();
    let cases: Vec<(&str, &str, Vec<&str>, &str)> = vec![
        // (file, content, extra args, what stderr must say)
        ("words.csv", "a,b,label\n1,2,x\n3,oops,y\n", vec![], "line 3"),
        ("nolabel.csv", "a,b,c\n1,2,3\n", vec![], "label"),
        ("one.csv", "a,label\n1,x\n2,x\n3,x\n", vec![], "at least two"),
        ("empty.csv", "a,label\n", vec![], "no data rows"),
    ];
    for (file, content, extra, says) in cases {
        std::fs::write(fx.path(file), content).unwrap();
        let mut args = vec!["init", file, "--source-classes", "x", "--out", "out.toml"];
        args.extend(extra);
        let out = fx.run(&args);
        expect_code(&out, 1);
        let err = stderr(&out);
        assert!(err.contains(file) || err.contains("--source-classes"), "{file}: {err}");
        assert!(err.contains(says), "{file}: expected '{says}' in: {err}");
        assert!(!fx.path("out.toml").exists(), "{file}: a suite was written");
    }
    // An IDX images file whose labels file is missing, or the wrong length.
    write_idx(&fx.path("a-images-idx3-ubyte"), &[3, 2, 2], &[0; 12]);
    let out = fx.run(&["init", "a-images-idx3-ubyte", "--source-classes", "0"]);
    expect_code(&out, 1);
    assert!(stderr(&out).contains("a-labels-idx1-ubyte"), "{}", stderr(&out));
    write_idx(&fx.path("a-labels-idx1-ubyte"), &[2], &[0, 1]);
    let out = fx.run(&["init", "a-images-idx3-ubyte", "--source-classes", "0"]);
    expect_code(&out, 1);
    assert!(stderr(&out).contains("one label per image"), "{}", stderr(&out));
    // A missing file, no --source-classes.
    let out = fx.run(&["init", "missing.csv", "--source-classes", "0"]);
    expect_code(&out, 1);
    assert!(stderr(&out).contains("missing.csv"), "{}", stderr(&out));
    expect_code(&fx.run(&["init", "words.csv"]), 2);
}

/// A MobileNetV2's weights as a safetensors file (seeded, not trained: the
/// test is of the plumbing, not of ImageNet), named as our checkpoints are.
fn mobilenet_weights(path: &Path) {
    use candle_nn::{VarBuilder, VarMap};
    use reuse_bench::model::{init::seeded_init, ModelSpec, Network};
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, candle_core::DType::F32, &candle_core::Device::Cpu);
    Network::new(&ModelSpec::MobileNetV2 { image_size: 32 }, 144, 1000, 0, vb).unwrap();
    seeded_init(&varmap, 7).unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    reuse_bench::model::weights::save_varmap(&varmap, path).unwrap();
}

#[test]
fn an_image_folder_with_a_pretrained_mobilenet_becomes_a_suite_that_runs() {
    let fx = Fixture::new();
    for c in 0..3 {
        for i in 0..24 {
            write_png(&fx.path(&format!("shapes/class{c}/{i:03}.png")), 12, c, i);
        }
    }
    mobilenet_weights(&fx.path("zoo/mnv2.safetensors"));
    init_writes(
        &fx,
        &["shapes", "--pretrained", "zoo/mnv2.safetensors"],
        "shapes.toml",
        &[
            "arch = \"mobilenetv2\"",
            "arch = \"cnn2d\"",
            "file = \"mnv2.safetensors\"",
            "source_classes = []",
            "target_classes = [0, 1, 2]",
        ],
    );
    runs_quick_with(&fx, "shapes.toml", 3, 4);

    // A checkpoint of another architecture, data that is no square image, and
    // both sources at once are refused, naming the fix.
    std::fs::write(fx.path("zoo/not-a-model.safetensors"), b"garbage").unwrap();
    let garbage = ["shapes", "--pretrained", "zoo/not-a-model.safetensors"];
    init_refuses(&fx, &garbage, 1, &["not-a-model.safetensors"]);
    write_csv(&fx.path("wide.csv"), &blobs(3, 30));
    let wide = [
        "wide.csv",
        "--label-column",
        "kind",
        "--pretrained",
        "zoo/mnv2.safetensors",
    ];
    init_refuses(&fx, &wide, 1, &["not a square image"]);
    let both = [
        "shapes",
        "--pretrained",
        "zoo/mnv2.safetensors",
        "--source-classes",
        "class0",
    ];
    init_refuses(&fx, &both, 2, &["--source-classes"]);
}

#[test]
fn a_second_dataset_as_the_source_becomes_a_suite_that_runs() {
    let fx = Fixture::new();
    let rows = blobs(5, 60);
    let pixel = |v: &f64| ((v + 1.0) * 30.0).clamp(0.0, 255.0) as u8;
    // Classes 0-2 in one IDX pair (the source), 3 and 4 in another (the task).
    for (name, classes) in [("src", 0..3), ("task", 3..5)] {
        let kept: Vec<&(Vec<f64>, usize)> = rows.iter().filter(|(_, c)| classes.contains(c)).collect();
        let pixels: Vec<u8> = kept.iter().flat_map(|(x, _)| x.iter().map(pixel)).collect();
        let labels: Vec<u8> = kept.iter().map(|(_, c)| *c as u8).collect();
        write_idx(
            &fx.path(&format!("{name}-images-idx3-ubyte")),
            &[kept.len() as u32, 2, 4],
            &pixels,
        );
        write_idx(
            &fx.path(&format!("{name}-labels-idx1-ubyte")),
            &[kept.len() as u32],
            &labels,
        );
    }
    init_writes(
        &fx,
        &["task-images-idx3-ubyte", "--source", "src-images-idx3-ubyte"],
        "two.toml",
        &[
            "source_path = \"src-images-idx3-ubyte\"",
            "source_labels_path = \"src-labels-idx1-ubyte\"",
            "source_classes = [0, 1, 2]",
            "target_classes = [0, 1]",
        ],
    );
    runs_quick(&fx, "two.toml", 2);
    let r = read_json(&fx.path("report/results.json"));
    assert!(
        r["pretrained"]["card"]["source_test_accuracy"].as_f64().unwrap() > 0.6,
        "pretrained on the source file's three classes: {}",
        r["pretrained"]["card"]
    );

    // A source of another shape is refused, naming it.
    write_idx(&fx.path("wide-images-idx3-ubyte"), &[2, 3, 3], &[0; 18]);
    write_idx(&fx.path("wide-labels-idx1-ubyte"), &[2], &[0, 1]);
    init_refuses(
        &fx,
        &["task-images-idx3-ubyte", "--source", "wide-images-idx3-ubyte"],
        1,
        &["wide-images-idx3-ubyte", "same shape"],
    );
}
