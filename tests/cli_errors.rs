//! Bad input gets a clear message naming the file or flag, and a non-zero exit.

mod common;

use common::{expect_code, stderr, Fixture};

#[test]
fn malformed_suite_file_names_file_and_key() {
    let fx = Fixture::new();
    std::fs::write(
        fx.path("bad.toml"),
        "name = \"x\"\ntarget_accuracy = 0.8\n[train]\nseed = [1, 2]\n",
    )
    .unwrap();
    let out = fx.run(&["run", "--suite", "bad.toml"]);
    expect_code(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("bad.toml") && err.contains("seed"), "{err}");

    std::fs::write(fx.path("syntax.toml"), "name = \"x\ntarget_accuracy = \n").unwrap();
    let out = fx.run(&["run", "--suite", "syntax.toml"]);
    expect_code(&out, 1);
    assert!(stderr(&out).contains("syntax.toml"), "{}", stderr(&out));
    assert!(!fx.path("reports").exists(), "a failed start wrote a report folder");
}

#[test]
fn unknown_suite_lists_builtins() {
    let out = Fixture::new().run(&["run", "--suite", "nope"]);
    expect_code(&out, 1);
    assert!(stderr(&out).contains("mnist1d"), "{}", stderr(&out));
}

#[test]
fn unknown_option_is_a_usage_error() {
    let out = Fixture::new().run(&["run", "--budgets", "5"]);
    expect_code(&out, 2);
    assert!(stderr(&out).contains("--budgets"), "{}", stderr(&out));
}

#[test]
fn zero_threads_is_a_usage_error() {
    let out = Fixture::new().run(&["run", "--threads", "0"]);
    expect_code(&out, 2);
    assert!(stderr(&out).contains("--threads"), "{}", stderr(&out));
}

#[test]
fn unknown_device_is_named() {
    let out = Fixture::new().run(&["run", "--quick", "--device", "tpu"]);
    expect_code(&out, 1);
    assert!(stderr(&out).contains("tpu"), "{}", stderr(&out));
}

#[test]
fn help_and_suites_list() {
    let fx = Fixture::new();
    let help = fx.run(&["run", "--help"]);
    expect_code(&help, 0);
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("--quick") && text.contains("--suite"), "{text}");
    let suites = fx.run(&["suites"]);
    expect_code(&suites, 0);
    let text = String::from_utf8_lossy(&suites.stdout);
    assert!(text.contains("mnist1d") && text.contains("mnist1d-mlp"), "{text}");
}

#[test]
fn unknown_instance_is_refused_before_any_run() {
    let fx = Fixture::new();
    let out = fx.run(&["run", "--quick", "--instance", "aws/nope.large", "--out", "r"]);
    expect_code(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("aws/nope.large") && err.contains("gcp/e2-standard-2"),
        "{err}"
    );
    assert!(!fx.path("r").exists(), "a refused run created its report folder");
    let out = fx.run(&["run", "--quick", "--instance", "nonsense"]);
    expect_code(&out, 1);
    assert!(stderr(&out).contains("provider/instance"), "{}", stderr(&out));
}

#[test]
fn custom_catalog_errors_name_the_file_and_line() {
    let fx = Fixture::new();
    std::fs::write(
        fx.path("prices.csv"),
        "provider,instance,vcpu,memory_gib,gpu_model,gpu_count,region,on_demand_usd_per_hour,spot_usd_per_hour,source,price_date\n\
         acme,box,2,4,,0,here,0.1,,,2026-01-01\n",
    )
    .unwrap();
    let out = fx.run(&["run", "--quick", "--catalog", "prices.csv", "--instance", "acme/box"]);
    expect_code(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("prices.csv") && err.contains("line 2") && err.contains("source"),
        "{err}"
    );
}
