//! `run --jobs N` runs workers side by side, each pinned to its own cores:
//! the accuracies are those of one worker at a time, and the results say how
//! many jobs and threads ran.

mod common;

use common::{expect_code, read_json, stderr, test_accuracies, Fixture};

#[test]
fn two_jobs_give_the_same_accuracies_as_one() {
    let fx = Fixture::new();
    expect_code(&fx.run(&["run", "--quick", "--jobs", "1", "--out", "one"]), 0);
    let two = fx.run(&["run", "--quick", "--jobs", "2", "--out", "two"]);
    expect_code(&two, 0);
    let (a, b) = (
        read_json(&fx.path("one/results.json")),
        read_json(&fx.path("two/results.json")),
    );
    assert_eq!(test_accuracies(&a), test_accuracies(&b));
    assert_eq!(b["runs"].as_array().unwrap().len(), 12);
    assert_eq!(a["machine"]["parallel_jobs"], 1);
    assert_eq!(b["machine"]["parallel_jobs"], 2);
    assert_eq!(
        b["machine"]["compute_threads"], 1,
        "the quick suite sets train.threads = 1"
    );
    let summary = std::fs::read_to_string(fx.path("two/summary.md")).unwrap();
    assert!(summary.contains("2 workers at a time with 1 thread"), "{summary}");

    // More jobs than the machine has cores is refused before any work.
    let cores = std::thread::available_parallelism().unwrap().get();
    let too_many = (cores + 1).to_string();
    let refused = fx.run(&["run", "--quick", "--jobs", &too_many, "--out", "many"]);
    expect_code(&refused, 1);
    assert!(
        stderr(&refused).contains("--jobs") && stderr(&refused).contains("lower --jobs"),
        "{}",
        stderr(&refused)
    );
    assert!(!fx.path("many").exists());

    // The default, auto, fills the cores at the suite's one thread per worker.
    expect_code(&fx.run(&["run", "--quick", "--out", "auto"]), 0);
    let auto = read_json(&fx.path("auto/results.json"));
    assert_eq!(auto["machine"]["parallel_jobs"], cores);
    assert_eq!(test_accuracies(&auto), test_accuracies(&a));
}
