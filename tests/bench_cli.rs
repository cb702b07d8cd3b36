//! `reuse-bench bench`: the real binary times a real workload and prints a
//! JSON line compare.sh can read; bad input gets a clear error.

use std::process::Command;

fn bench(args: &[&str]) -> std::process::Output {
    bench_with(args, None)
}

/// The benchmark with `$REUSE_BENCH_SIMD` set to `simd` (unset when None).
fn bench_with(args: &[&str], simd: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reuse-bench"));
    cmd.arg("bench").args(args).env_remove("REUSE_BENCH_SIMD");
    if let Some(level) = simd {
        cmd.env("REUSE_BENCH_SIMD", level);
    }
    cmd.output().expect("run reuse-bench")
}

#[test]
fn an_epoch_benchmark_prints_one_parseable_line() {
    let out = bench(&["--workload", "mlp-epoch", "--iters", "3", "--warmup", "0", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(text.trim()).expect("one JSON line");
    assert_eq!(v["impl"], "reuse-bench");
    assert_eq!(v["workload"], "mlp-epoch");
    assert_eq!(v["threads"], 1);
    assert_eq!(v["samples_per_iter"], 1250);
    let iters = v["iter_s"].as_array().unwrap();
    assert_eq!(iters.len(), 3);
    assert!(iters.iter().all(|s| s.as_f64().unwrap() > 0.0));
    let rate = v["samples_per_s"].as_f64().unwrap();
    assert!(rate.is_finite() && rate > 0.0, "{rate}");
    let rss = v["peak_rss_bytes"].as_u64().unwrap();
    assert!(rss > 1 << 20 && rss < 8 << 30, "{rss}");
    assert!(["avx512", "avx2", "baseline"].contains(&v["kernels"].as_str().unwrap()));
}

/// The cap on the project's own kernels is obeyed and recorded; a value it
/// does not know is refused, naming the variable and the values it takes.
#[test]
fn the_vector_cap_is_recorded_and_a_bad_one_refused() {
    let args = ["--workload", "mlp-epoch", "--iters", "1", "--warmup", "0", "--json"];
    let out = bench_with(&args, Some("baseline"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(v["kernels"], "baseline");

    let out = bench_with(&args, Some("avx3"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("REUSE_BENCH_SIMD=avx3") && err.contains("avx2"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn an_unknown_workload_and_a_missing_model_are_named() {
    let out = bench(&["--workload", "bert-stpe"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bert-stpe") && err.contains("bert-step"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let out = bench(&["--workload", "bert-step", "--model-dir", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("config.json") && err.contains("fetch-data"), "{err}");
}

/// `bench --lockstep` with `input` on its standard input.
fn lockstep(input: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_reuse-bench"))
        .args([
            "bench",
            "--workload",
            "mlp-epoch",
            "--warmup",
            "1",
            "--json",
            "--lockstep",
        ])
        .env_remove("REUSE_BENCH_SIMD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run reuse-bench");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().expect("wait for reuse-bench")
}

/// The protocol lockstep.py drives: `ready`, one `iter_s` line per `go`,
/// then the JSON result of exactly those iterations.
#[test]
fn lockstep_runs_one_iteration_per_go_and_reports_each() {
    let out = lockstep("go\ngo\ngo\ndone\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert_eq!(lines[0], "ready");
    let reported: Vec<f64> = lines[1..4]
        .iter()
        .map(|l| l.strip_prefix("iter_s ").expect(l).parse().unwrap())
        .collect();
    assert!(reported.iter().all(|&s| s > 0.0 && s < 60.0), "{reported:?}");
    let v: serde_json::Value = serde_json::from_str(lines[4]).expect("the JSON result last");
    let timed: Vec<f64> = v["iter_s"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_f64().unwrap())
        .collect();
    assert_eq!(timed, reported);

    // The end of input ends the run as `done` does.
    let out = lockstep("go\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 3);
}

#[test]
fn lockstep_refuses_a_stop_before_any_iteration_an_unknown_word_and_a_blank_line() {
    let out = lockstep("done\n");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--lockstep") && err.contains("go"), "{err}");

    // A blank line is not the end of input: it is refused like any other word.
    for (word, input) in [("`stop`", "go\nstop\n"), ("``", "go\n\ngo\n")] {
        let out = lockstep(input);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(word) && err.contains("standard input"), "{err}");
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains('{'),
            "no result after a refusal"
        );
    }
}
