//! The report people look at: every chart PNG decodes, has the expected size
//! and is not blank; index.html parses, requests nothing from the network,
//! carries the verdict and every chart; `report` reproduces the files from
//! results.json alone; `compare` gates on regressions; and (an ignored test,
//! run by `.ci/run`) Chromium loads the page without console errors and takes
//! a screenshot.

mod common;

use common::{expect_code, read_json, stderr, Fixture};
use std::path::{Path, PathBuf};
use std::process::Command;

const CHARTS: [&str; 7] = [
    "learning_curves.png",
    "data_efficiency.png",
    "time_cost_to_target.png",
    "memory_params.png",
    "cost_breakdown.png",
    "pareto.png",
    "sensitivity.png",
];

/// Decodes a PNG: (width, height, RGB(A) bytes).
fn decode_png(path: &Path) -> (u32, u32, Vec<u8>, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder
        .read_info()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader
        .next_frame(&mut buf)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf, info.color_type.samples())
}

/// Fraction of pixels that are not white, and the number of distinct colours.
fn ink(rgb: &[u8], samples: usize) -> (f64, usize) {
    let pixels: Vec<&[u8]> = rgb.chunks(samples).collect();
    let inked = pixels.iter().filter(|p| p[..3] != [255, 255, 255]).count();
    let mut colours: Vec<[u8; 3]> = pixels.iter().map(|p| [p[0], p[1], p[2]]).collect();
    colours.sort_unstable();
    colours.dedup();
    (inked as f64 / pixels.len() as f64, colours.len())
}

fn derived_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["summary.md", "runs.csv", "index.html"]
        .iter()
        .map(|f| dir.join(f))
        .collect();
    files.extend(CHARTS.iter().map(|c| dir.join("charts").join(c)));
    files
}

#[test]
fn charts_page_report_and_compare() {
    let fx = Fixture::new();
    expect_code(&fx.run(&["run", "--quick", "--out", "r"]), 0);
    let dir = fx.path("r");

    // Charts: decode, size, ink.
    for chart in CHARTS {
        let (w, h, rgb, samples) = decode_png(&dir.join("charts").join(chart));
        assert_eq!((w, h), (1200, 700), "{chart}");
        let (inked, colours) = ink(&rgb, samples);
        assert!(
            inked > 0.02 && colours > 20,
            "{chart} looks blank: {inked:.3} inked, {colours} colours"
        );
    }

    // The page: parses, self-contained, verdict first, every chart embedded byte for byte.
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let doc = scraper::Html::parse_document(&html);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    for el in doc.select(&sel("[src], [href]")) {
        for attr in ["src", "href"] {
            if let Some(v) = el.value().attr(attr) {
                assert!(
                    v.starts_with("data:") || v.starts_with('#'),
                    "external reference {attr}={v}"
                );
            }
        }
    }
    assert_eq!(
        doc.select(&sel("script, link, iframe, object")).count(),
        0,
        "the page loads nothing"
    );
    let results = read_json(&dir.join("results.json"));
    // The page and the summary say the same headline (one view model, two templates).
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    let verdict_text: String = doc.select(&sel("#verdict .headline")).next().unwrap().text().collect();
    assert!(
        summary.contains(&format!("**{verdict_text}**")),
        "{verdict_text}\n{summary}"
    );
    let first_section = doc.select(&sel("main > section, main > h2")).next().unwrap();
    assert_eq!(
        first_section.value().attr("id"),
        Some("verdict"),
        "the verdict comes first"
    );
    let images: Vec<_> = doc.select(&sel("figure img")).collect();
    assert_eq!(images.len(), CHARTS.len());
    use base64::Engine;
    for (img, chart) in images.iter().zip(CHARTS) {
        let src = img.value().attr("src").unwrap();
        let b64 = src.strip_prefix("data:image/png;base64,").expect("a PNG data URI");
        let bytes = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
        assert_eq!(
            bytes,
            std::fs::read(dir.join("charts").join(chart)).unwrap(),
            "{chart} differs from its file"
        );
        assert!(!img.value().attr("alt").unwrap_or("").is_empty());
    }
    for id in [
        "accuracy",
        "efficiency",
        "cost",
        "assumptions",
        "protocol",
        "card",
        "provenance",
        "suite",
    ] {
        assert!(
            doc.select(&sel(&format!("#{id}"))).next().is_some(),
            "section #{id} missing"
        );
    }

    // `report` re-renders the same bytes from results.json alone.
    let before: Vec<Vec<u8>> = derived_files(&dir).iter().map(|f| std::fs::read(f).unwrap()).collect();
    for f in derived_files(&dir) {
        std::fs::remove_file(f).unwrap();
    }
    std::fs::remove_file(dir.join("runs.jsonl")).unwrap();
    let results_before = std::fs::read(dir.join("results.json")).unwrap();
    expect_code(&fx.run(&["report", "r"]), 0);
    let after: Vec<Vec<u8>> = derived_files(&dir).iter().map(|f| std::fs::read(f).unwrap()).collect();
    for ((b, a), f) in before.iter().zip(&after).zip(derived_files(&dir)) {
        assert!(b == a, "{} differs after `report`", f.display());
    }
    assert_eq!(
        std::fs::read(dir.join("results.json")).unwrap(),
        results_before,
        "report rewrote results.json"
    );

    // `report` on a folder without, or with a damaged, results.json is a clear error.
    let out = fx.run(&["report", "nowhere"]);
    expect_code(&out, 1);
    assert!(stderr(&out).contains("results.json"), "{}", stderr(&out));

    // `compare`: a run against itself has no regression; a slower, costlier copy fails the gate.
    let same = fx.run(&["compare", "r", "r", "--fail-on-regression", "0", "--out", "cmp"]);
    expect_code(&same, 0);
    let cmp = read_json(&fx.path("cmp/compare.json"));
    assert_eq!(
        cmp["cells"].as_array().unwrap().len(),
        results["aggregates"].as_array().unwrap().len()
    );
    assert!(std::fs::read_to_string(fx.path("cmp/compare.md"))
        .unwrap()
        .contains("No figure worsened"));
    std::fs::create_dir(fx.path("slow")).unwrap();
    let mut slow = results.clone();
    for a in slow["aggregates"].as_array_mut().unwrap() {
        let mean = a["wall_s"]["mean"].as_f64().unwrap();
        a["wall_s"]["mean"] = (mean * 1.5).into();
    }
    std::fs::write(fx.path("slow/results.json"), serde_json::to_vec(&slow).unwrap()).unwrap();
    let gated = fx.run(&["compare", "r", "slow", "--fail-on-regression", "20"]);
    expect_code(&gated, 4);
    assert!(String::from_utf8_lossy(&gated.stdout).contains("wall_s rose by 50.0%"));
    expect_code(&fx.run(&["compare", "r", "slow", "--fail-on-regression", "60"]), 0);
}

/// Chromium loads the page of a real quick run without console errors, and
/// its screenshot is not blank. Ignored by a plain `cargo test` because it
/// needs a browser; `.ci/run` installs one and runs it with `--include-ignored`.
#[test]
#[ignore = "needs Debian's chromium (installed by .ci/run, which runs ignored tests)"]
fn chromium_loads_the_page() {
    let fx = Fixture::new();
    expect_code(&fx.run(&["run", "--quick", "--out", "r"]), 0);
    chromium_loads_page(&fx.path("r/index.html"), &fx.path("screenshot.png"));
}

/// The browser to test with: $REUSE_BENCH_CHROMIUM, else chromium on the PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("REUSE_BENCH_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

fn chromium_loads_page(page: &Path, screenshot: &Path) {
    let browser = chromium().expect("Chromium is not installed: apt-get install chromium (.ci/run does)");
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=390,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .output()
        .expect("chromium starts");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed: {log}");
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    let (w, h, rgb, samples) = decode_png(screenshot);
    assert_eq!((w, h), (390, 2000));
    assert!(ink(&rgb, samples).0 > 0.05, "the screenshot is blank");
}
