//! Text to token ids with a Hugging Face `tokenizer.json`.
//!
//! Padding and truncation are set here, not taken from the file (MiniLM's
//! tokenizer.json pads every input to 128 tokens): each text becomes exactly
//! `max_tokens` ids, special tokens included, padded with the tokenizer's pad
//! id. Ids are stored as exact `f32` values (below 2^24) so token datasets
//! travel through the same [`Dataset`] and training loop as numeric ones.

use super::Dataset;
use crate::{Error, Result};
use std::path::Path;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// Token ids of `texts` as a `[texts, max_tokens]` dataset (with `labels`), and the pad id used.
pub fn tokenize(texts: &[String], labels: Vec<u32>, tokenizer: &Path, max_tokens: usize) -> Result<(Dataset, u32)> {
    let fail = |what: String| Error::Model {
        origin: format!("tokenizer {}", tokenizer.display()),
        message: what,
    };
    if !tokenizer.is_file() {
        return Err(fail(
            "not found; fetch the model with `bash .ci/fetch-data.sh DIR minilm`".into(),
        ));
    }
    let mut tok = Tokenizer::from_file(tokenizer).map_err(|e| fail(format!("not a tokenizer.json ({e})")))?;
    let pad = tok.get_padding().cloned().unwrap_or_default();
    let pad_id = pad.pad_id;
    tok.with_padding(Some(PaddingParams {
        strategy: PaddingStrategy::Fixed(max_tokens),
        ..pad
    }));
    tok.with_truncation(Some(TruncationParams {
        max_length: max_tokens,
        ..Default::default()
    }))
    .map_err(|e| fail(format!("cannot truncate to {max_tokens} tokens ({e})")))?;
    let encodings = tok
        .encode_batch(texts.iter().map(String::as_str).collect::<Vec<_>>(), true)
        .map_err(|e| fail(format!("cannot encode ({e})")))?;
    let mut features = Vec::with_capacity(texts.len() * max_tokens);
    for e in &encodings {
        let ids = e.get_ids();
        if ids.len() != max_tokens {
            return Err(fail(format!(
                "produced {} ids where {max_tokens} were asked for",
                ids.len()
            )));
        }
        if let Some(&big) = ids.iter().find(|&&id| id >= 1 << 24) {
            return Err(fail(format!("token id {big} is too large to store exactly")));
        }
        features.extend(ids.iter().map(|&id| id as f32));
    }
    Ok((
        Dataset {
            features,
            labels,
            feature_len: max_tokens,
        },
        pad_id,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A word-level tokenizer.json small enough to write by hand, padding set to 128 as in MiniLM's.
    fn tokenizer(dir: &Path) -> std::path::PathBuf {
        let json = r#"{
          "version": "1.0", "truncation": null,
          "padding": {"strategy": {"Fixed": 128}, "direction": "Right", "pad_to_multiple_of": null,
                      "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"},
          "added_tokens": [], "normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "Whitespace"},
          "post_processor": null, "decoder": null,
          "model": {"type": "WordLevel", "vocab": {"[PAD]": 0, "[UNK]": 1, "good": 2, "bad": 3, "film": 4},
                    "unk_token": "[UNK]"}
        }"#;
        let path = dir.join("tokenizer.json");
        std::fs::write(&path, json).unwrap();
        path
    }

    #[test]
    fn pads_and_truncates_to_max_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let texts = vec![
            "Good film".to_string(),
            "bad bad bad bad bad film".to_string(),
            "unknown".to_string(),
        ];
        let (ds, pad) = tokenize(&texts, vec![0, 1, 0], &tokenizer(dir.path()), 4).unwrap();
        assert_eq!(pad, 0);
        assert_eq!(ds.feature_len, 4);
        assert_eq!(ds.row(0), &[2.0, 4.0, 0.0, 0.0]);
        assert_eq!(ds.row(1), &[3.0, 3.0, 3.0, 3.0]);
        assert_eq!(ds.row(2), &[1.0, 0.0, 0.0, 0.0]);
        assert_eq!(ds.labels, vec![0, 1, 0]);
    }

    #[test]
    fn missing_or_broken_tokenizers_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = tokenize(&[], vec![], &dir.path().join("none.json"), 4)
            .unwrap_err()
            .to_string();
        assert!(err.contains("none.json") && err.contains("fetch-data"), "{err}");
        std::fs::write(dir.path().join("bad.json"), "{}").unwrap();
        let err = tokenize(&[], vec![], &dir.path().join("bad.json"), 4)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a tokenizer.json"), "{err}");
    }
}
