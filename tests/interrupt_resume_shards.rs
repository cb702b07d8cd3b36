//! Nothing lost, nothing misleading: a sweep killed with SIGKILL resumes and
//! ends with every run exactly once and the finished runs untouched; SIGINT
//! stops the worker with its parent and writes a partial report; a sweep cut
//! into three shards merges into exactly the unsharded set of runs.

mod common;

use common::{expect_code, read_json, stderr, test_accuracies, Fixture};
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `reuse-bench ARGS` in the fixture without waiting for it.
fn spawn(fx: &Fixture, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_reuse-bench"))
        .args(args)
        .current_dir(fx.dir.path())
        .env("REUSE_BENCH_CACHE", fx.cache())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts")
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Live (not zombie) child processes of `pid`, from /proc.
fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": the fields after the last ')' are fixed.
        let rest: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
        if rest[1].parse::<u32>() == Ok(pid) && rest[0] != "Z" {
            out.push(child);
        }
    }
    out
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        let state = s[s.rfind(')').unwrap() + 2..]
            .split(' ')
            .next()
            .unwrap_or("Z")
            .to_string();
        state != "Z" && state != "X"
    })
}

/// Waits until `runs.jsonl` has at least `n` lines and the parent is running a worker.
fn wait_mid_sweep(child: &mut Child, runs: &Path, n: usize) -> Vec<u32> {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sweep ended before it could be interrupted"
        );
        let workers = children(child.id());
        if lines(runs).len() >= n && !workers.is_empty() {
            return workers;
        }
        assert!(Instant::now() < deadline, "the sweep did not get going");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_gone(pids: &[u32]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while pids.iter().any(|&p| alive(p)) {
        assert!(Instant::now() < deadline, "a worker outlived its parent: {pids:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigkill_then_resume_runs_each_run_once_and_keeps_the_finished_ones() {
    let fx = Fixture::new();
    let mut child = spawn(&fx, &["run", "--quick", "--out", "r", "--no-progress"]);
    let runs = fx.path("r/runs.jsonl");
    let workers = wait_mid_sweep(&mut child, &runs, 3);
    child.kill().unwrap(); // SIGKILL: no handler runs
    child.wait().unwrap();
    wait_gone(&workers);
    let before = lines(&runs);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(lines(&runs), before, "runs.jsonl grew after the parent died");

    // The folder renders as a partial result, and the same --out is refused for a new sweep.
    let report = fx.run(&["report", "r"]);
    expect_code(&report, 0);
    let summary = std::fs::read_to_string(fx.path("r/summary.md")).unwrap();
    assert!(
        summary.contains(&format!("Partial result: {} of the suite's 12 runs", before.len())),
        "{summary}"
    );
    assert_eq!(
        read_json(&fx.path("r/results.json"))["partial"]["reason"],
        "interrupted"
    );
    let again = fx.run(&["run", "--quick", "--out", "r"]);
    expect_code(&again, 1);
    assert!(stderr(&again).contains("never overwrites"), "{}", stderr(&again));

    // Resume: the rest runs, each run id once, the finished records untouched.
    let resumed = fx.run(&["run", "--resume", "r"]);
    expect_code(&resumed, 0);
    assert!(
        stderr(&resumed).contains(&format!("{} of 12 runs done", before.len())),
        "{}",
        stderr(&resumed)
    );
    let after = lines(&runs);
    assert_eq!(&after[..before.len()], &before[..], "a finished run's record changed");
    let mut ids: Vec<String> = after
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["run_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 12);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12, "a run ran twice");
    let results = read_json(&fx.path("r/results.json"));
    assert!(results.get("partial").is_none(), "the resumed sweep is complete");
    assert_eq!(results["runs"].as_array().unwrap().len(), 12);

    // Resuming a finished sweep runs nothing; a changed suite or another version is refused.
    expect_code(&fx.run(&["run", "--resume", "r"]), 0);
    assert_eq!(lines(&runs).len(), 12);
    let suite = std::fs::read_to_string(fx.path("r/suite.toml")).unwrap();
    std::fs::write(fx.path("r/suite.toml"), suite.replace("patience = 8", "patience = 9")).unwrap();
    let changed = fx.run(&["run", "--resume", "r"]);
    expect_code(&changed, 1);
    assert!(stderr(&changed).contains("suite.toml differs"), "{}", stderr(&changed));
    std::fs::write(fx.path("r/suite.toml"), &suite).unwrap();
    let manifest = std::fs::read_to_string(fx.path("r/sweep.json")).unwrap();
    let old = manifest.replace(
        &format!("\"tool_version\": \"{}\"", env!("CARGO_PKG_VERSION")),
        "\"tool_version\": \"0.0.1\"",
    );
    std::fs::write(fx.path("r/sweep.json"), old).unwrap();
    let other = fx.run(&["run", "--resume", "r"]);
    expect_code(&other, 1);
    assert!(
        stderr(&other).contains("started by reuse-bench 0.0.1"),
        "{}",
        stderr(&other)
    );
}

#[test]
fn sigint_stops_the_worker_writes_a_partial_report_and_says_how_to_resume() {
    let fx = Fixture::new();
    let mut child = spawn(&fx, &["run", "--quick", "--out", "r", "--no-progress"]);
    let workers = wait_mid_sweep(&mut child, &fx.path("r/runs.jsonl"), 2);
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    wait_gone(&workers);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("interrupted by SIGINT") && err.contains("reuse-bench run --resume r"),
        "{err}"
    );
    let results = read_json(&fx.path("r/results.json"));
    let done = results["runs"].as_array().unwrap().len();
    assert!((2..12).contains(&done), "{done} runs");
    assert_eq!(results["partial"]["runs_done"], done);
    assert!(results["runs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "completed"));
    let summary = std::fs::read_to_string(fx.path("r/summary.md")).unwrap();
    assert!(summary.contains("Partial result"), "{summary}");
    let page = std::fs::read_to_string(fx.path("r/index.html")).unwrap();
    assert!(page.contains("id=\"partial\""));
}

#[test]
fn three_shards_merge_into_the_unsharded_runs() {
    let fx = Fixture::new();
    expect_code(&fx.run(&["run", "--quick", "--out", "all"]), 0);
    let whole = test_accuracies(&read_json(&fx.path("all/results.json")));
    let mut sizes = Vec::new();
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let out = format!("s{i}");
        expect_code(&fx.run(&["run", "--quick", "--shard", &shard, "--out", &out]), 0);
        let part = read_json(&fx.path(&format!("{out}/results.json")));
        assert_eq!(part["partial"]["reason"], "shard");
        sizes.push(part["runs"].as_array().unwrap().len());
    }
    assert_eq!(sizes.iter().sum::<usize>(), 12);
    // Shards balance expected cost, not run counts (a probe weighs a quarter of
    // a full training run): every shard gets work, and the light ones more runs.
    assert!(sizes.iter().all(|&n| n >= 2), "a shard with almost nothing: {sizes:?}");
    expect_code(&fx.run(&["merge", "s1", "s2", "s3", "--out", "merged"]), 0);
    let merged = read_json(&fx.path("merged/results.json"));
    assert!(merged.get("partial").is_none());
    assert_eq!(
        test_accuracies(&merged),
        whole,
        "merged runs differ from the unsharded sweep"
    );

    // Refused: a shard twice, a shard of another version, a missing folder.
    let twice = fx.run(&["merge", "s1", "s1", "--out", "m2"]);
    expect_code(&twice, 1);
    assert!(stderr(&twice).contains("also in s1"), "{}", stderr(&twice));
    assert!(!fx.path("m2").exists(), "a refused merge left a folder");
    std::fs::create_dir(fx.path("old")).unwrap();
    for f in ["suite.toml", "runs.jsonl", "sweep.json"] {
        std::fs::copy(fx.path("s2").join(f), fx.path("old").join(f)).unwrap();
    }
    let manifest = std::fs::read_to_string(fx.path("old/sweep.json")).unwrap();
    std::fs::write(
        fx.path("old/sweep.json"),
        manifest.replace(
            &format!("\"tool_version\": \"{}\"", env!("CARGO_PKG_VERSION")),
            "\"tool_version\": \"0.0.1\"",
        ),
    )
    .unwrap();
    let mixed = fx.run(&["merge", "s1", "old", "--out", "m3"]);
    expect_code(&mixed, 1);
    assert!(
        stderr(&mixed).contains("reuse-bench version 0.0.1"),
        "{}",
        stderr(&mixed)
    );
}
