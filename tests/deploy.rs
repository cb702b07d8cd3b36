//! The cluster recipes under `deploy/` stay runnable: the Slurm scripts and
//! the Kubernetes helper pass `bash -n`, and the Kubernetes manifest parses
//! as YAML with the steps `deploy/kubernetes/run.sh` applies in order, its
//! Indexed Job and its shard count agreeing with each other.

use std::path::{Path, PathBuf};
use std::process::Command;
use yaml_rust2::{Yaml, YamlLoader};

fn deploy(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy").join(rel)
}

#[test]
fn shell_scripts_parse() {
    for script in ["slurm/submit.sh", "slurm/shard.sbatch", "kubernetes/run.sh"] {
        let out = Command::new("bash").arg("-n").arg(deploy(script)).output().unwrap();
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn env_value(container: &Yaml, name: &str) -> Option<String> {
    container["env"]
        .as_vec()?
        .iter()
        .find(|e| e["name"].as_str() == Some(name))
        .and_then(|e| e["value"].as_str().map(str::to_string))
}

#[test]
fn kubernetes_manifest_parses_and_agrees_with_itself() {
    let text = std::fs::read_to_string(deploy("kubernetes/reuse-bench.yaml")).unwrap();
    let docs = YamlLoader::load_from_str(&text).expect("valid YAML");
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["PersistentVolumeClaim", "Job", "Job", "Job"]);
    let step = |d: &Yaml| d["metadata"]["labels"]["step"].as_str().map(str::to_string);
    let steps: Vec<Option<String>> = docs.iter().map(step).collect();
    assert_eq!(
        steps,
        [
            None,
            Some("pretrain".into()),
            Some("shards".into()),
            Some("merge".into())
        ],
        "run.sh applies the documents by these labels"
    );
    let shards = &docs[2]["spec"];
    assert_eq!(shards["completionMode"].as_str(), Some("Indexed"));
    let container = &shards["template"]["spec"]["containers"][0];
    let count: i64 = env_value(container, "SHARDS").unwrap().parse().unwrap();
    assert_eq!(shards["completions"].as_i64(), Some(count));
    assert_eq!(shards["parallelism"].as_i64(), Some(count));
    let script = container["args"][0].as_str().unwrap();
    assert!(
        script.contains("--shard \"$i/$SHARDS\"") && script.contains("--resume"),
        "{script}"
    );
    let merge = &docs[3]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(env_value(merge, "SHARDS").unwrap().parse::<i64>().unwrap(), count);
    assert!(merge["args"][0].as_str().unwrap().contains("reuse-bench merge"));
    for d in &docs[1..] {
        let volume = &d["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"];
        assert_eq!(
            volume.as_str(),
            docs[0]["metadata"]["name"].as_str(),
            "every step mounts the shared volume"
        );
    }
}
