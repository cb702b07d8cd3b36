//! `hf:ORG/NAME[@REV]`: a pretrained model from the local Hugging Face hub
//! cache, found through the hf-hub crate's cache layout
//! (`models--ORG--NAME/refs/REV` -> `snapshots/COMMIT/`).
//!
//! reuse-bench reads the cache only: it never downloads, so it behaves as
//! `HF_HUB_OFFLINE=1` whatever the environment says, and a model that is not
//! cached is an error that says how to get it.

use super::weights::{CONFIG_FILE, WEIGHTS_FILE};
use crate::{Error, Result};
use hf_hub::{Cache, Repo, RepoType};
use std::path::{Path, PathBuf};

/// A model on the hub, at a revision (a branch, tag or commit; default `main`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubRef {
    /// `ORG/NAME`.
    pub repo: String,
    /// Branch, tag or 40-character commit hash.
    pub revision: String,
}

impl HubRef {
    /// Parses `hf:ORG/NAME[@REV]`; `None` when `s` does not start with `hf:`.
    pub fn parse(s: &str) -> Result<Option<HubRef>> {
        let Some(rest) = s.strip_prefix("hf:") else {
            return Ok(None);
        };
        let (repo, revision) = match rest.split_once('@') {
            Some((repo, rev)) => (repo, rev),
            None => (rest, "main"),
        };
        let valid = repo.split('/').count() == 2 && repo.split('/').all(|p| !p.is_empty()) && !revision.is_empty();
        if !valid {
            return Err(Error::setting(
                format!("--pretrained {s}"),
                "expected hf:ORG/NAME or hf:ORG/NAME@REVISION, e.g. hf:sentence-transformers/all-MiniLM-L6-v2",
            ));
        }
        Ok(Some(HubRef {
            repo: repo.to_string(),
            revision: revision.to_string(),
        }))
    }
}

/// The hub cache folder: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`.
pub fn cache_root() -> PathBuf {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    var("HF_HUB_CACHE")
        .or_else(|| var("HF_HOME").map(|h| h.join("hub")))
        .or_else(|| var("HOME").map(|h| h.join(".cache").join("huggingface").join("hub")))
        .unwrap_or_else(|| PathBuf::from(".cache/huggingface/hub"))
}

/// The cached snapshot folder of `model` under `root`, holding `config.json` and `model.safetensors`.
pub fn resolve(model: &HubRef, root: &Path) -> Result<PathBuf> {
    let repo = Repo::with_revision(model.repo.clone(), RepoType::Model, model.revision.clone());
    let is_commit = model.revision.len() == 40 && model.revision.chars().all(|c| c.is_ascii_hexdigit());
    let weights = if is_commit {
        let snapshot = root.join(repo.folder_name()).join("snapshots").join(&model.revision);
        Some(snapshot.join(WEIGHTS_FILE)).filter(|p| p.exists())
    } else {
        Cache::new(root.to_path_buf()).repo(repo.clone()).get(WEIGHTS_FILE)
    };
    let dir = weights.as_deref().and_then(Path::parent).map(Path::to_path_buf);
    match dir {
        Some(dir) if dir.join(CONFIG_FILE).exists() => Ok(dir),
        _ => Err(Error::Model {
            origin: format!("hf:{}@{}", model.repo, model.revision),
            message: format!(
                "not in the Hugging Face cache at {} (reuse-bench reads the cache only and never downloads): fetch \
                 it on a connected machine with `huggingface-cli download {}`, or pass --pretrained DIR with a \
                 folder holding config.json and model.safetensors",
                root.display(),
                model.repo
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hub cache laid out as huggingface_hub writes it, with one snapshot.
    fn cache(root: &Path, repo_folder: &str, commit: &str) -> PathBuf {
        let base = root.join(repo_folder);
        std::fs::create_dir_all(base.join("refs")).unwrap();
        std::fs::write(base.join("refs").join("main"), commit).unwrap();
        let snapshot = base.join("snapshots").join(commit);
        std::fs::create_dir_all(&snapshot).unwrap();
        std::fs::write(snapshot.join("config.json"), "{}").unwrap();
        std::fs::write(snapshot.join("model.safetensors"), b"weights").unwrap();
        snapshot
    }

    #[test]
    fn parses_references() {
        assert_eq!(HubRef::parse("some/dir").unwrap(), None);
        let r = HubRef::parse("hf:org/name").unwrap().unwrap();
        assert_eq!((r.repo.as_str(), r.revision.as_str()), ("org/name", "main"));
        let r = HubRef::parse("hf:org/name@v1").unwrap().unwrap();
        assert_eq!(r.revision, "v1");
        for bad in ["hf:name", "hf:org/", "hf:org/name@", "hf:a/b/c"] {
            assert!(
                HubRef::parse(bad).unwrap_err().to_string().contains("hf:ORG/NAME"),
                "{bad}"
            );
        }
    }

    #[test]
    fn resolves_refs_and_commits_in_a_hub_cache() {
        let root = tempfile::tempdir().unwrap();
        let commit = "1110a243fdf4706b3f48f1d95db1a4f5529b4d41";
        let snapshot = cache(root.path(), "models--org--name", commit);
        let by_ref = resolve(&HubRef::parse("hf:org/name").unwrap().unwrap(), root.path()).unwrap();
        assert_eq!(by_ref, snapshot);
        let by_commit = resolve(
            &HubRef::parse(&format!("hf:org/name@{commit}")).unwrap().unwrap(),
            root.path(),
        );
        assert_eq!(by_commit.unwrap(), snapshot);
        let err = resolve(&HubRef::parse("hf:org/other").unwrap().unwrap(), root.path())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("never downloads") && err.contains("huggingface-cli download org/other"),
            "{err}"
        );
        let err = resolve(&HubRef::parse("hf:org/name@v9").unwrap().unwrap(), root.path()).unwrap_err();
        assert!(err.to_string().contains("@v9"));
    }
}
