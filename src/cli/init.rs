//! `reuse-bench init DATA`: inspect the user's own data and write a suite for it.

use anyhow::Result;
use clap::Args;
use reuse_bench::data::task::table::TableFormat;
use reuse_bench::suite::init::InitRequest;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("origin").required(true).args(["source_classes", "source", "pretrained"])))]
#[command(
    after_help = "It reads the data, counts the classes and the examples of each, holds out a tenth \
of the smallest class for validation and a fifth for test, picks label budgets that fit what is left, \
and sets an MLP backbone to pretrain on --source-classes (the rest are the task under study) or on \
a second dataset (--source), or reuses the --pretrained model (then every class is under study). Review the file (target_accuracy above all), then run it.\n\n\
Examples:\n  \
reuse-bench init measurements.csv --label-column species --source-classes setosa,virginica\n  \
reuse-bench init data/mnist/train-images-idx3-ubyte.gz --source-classes 0,1,2,3,4 --out mnist.toml\n  \
reuse-bench init photos/ --source-classes cat,dog    (photos/cat/*.png, photos/dog/*.jpg, ...)\n  \
reuse-bench init data/animal-mnist/train-images-idx3-ubyte --pretrained data/mobilenet_v2/mobilenet_v2-b0353104.pth\n  \
reuse-bench init data/animal-mnist/train-images-idx3-ubyte --source data/fashion-mnist/train-images-idx3-ubyte.gz\n  \
reuse-bench run --suite mnist.toml --quick"
)]
pub(super) struct InitArgs {
    /// The data: a numeric CSV (a header row, a label column, every other column a number), an
    /// IDX images file (with its labels file beside it, or --labels), or an image folder (one
    /// sub-folder of PNG or JPEG files per class, all of one size).
    data: PathBuf,
    /// The data's format, when its name does not say (a folder; .csv, .csv.gz; idx3 or .idx in the name).
    #[arg(long, value_enum)]
    format: Option<InitFormat>,
    /// IDX: the labels file [default: the images file's name with images-idx3 -> labels-idx1].
    #[arg(long, value_name = "FILE")]
    labels: Option<PathBuf>,
    /// CSV: the column holding the label.
    #[arg(long, value_name = "NAME", default_value = "label")]
    label_column: String,
    /// Text CSV (--format text): the column holding the text.
    #[arg(long, value_name = "NAME", default_value = "text")]
    text_column: String,
    /// The labels (as in the file) of the classes the backbone pretrains on, comma-separated;
    /// the other classes are the task under study.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    source_classes: Vec<String>,
    /// A second dataset to pretrain the backbone on instead (all its classes), in the same
    /// format and shape as DATA (e.g. Fashion-MNIST as the source for MNIST); every class of
    /// DATA is then under study.
    #[arg(long, value_name = "DATA2")]
    source: Option<PathBuf>,
    /// A pretrained model to reuse instead: a zoo checkpoint (torchvision's MobileNetV2 as a .pth,
    /// read as it is), a folder in Hugging Face layout, or hf:ORG/NAME[@REV] from the local hub
    /// cache. Every class of the data is then under study.
    #[arg(long, value_name = "DIR|FILE|hf:ORG/NAME")]
    pretrained: Option<String>,
    /// A held-out test set in the same format (otherwise a fifth of the smallest class is held out).
    #[arg(long, value_name = "DATA")]
    test: Option<PathBuf>,
    /// IDX: the test set's labels file [default: beside it, by MNIST's naming].
    #[arg(long, value_name = "FILE", requires = "test")]
    test_labels: Option<PathBuf>,
    /// Where to write the suite (must not exist) [default: <data name>.toml here].
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Data formats `init` reads.
#[derive(clap::ValueEnum, Debug, Clone, Copy)]
pub(super) enum InitFormat {
    /// Numeric features and a label column.
    Csv,
    /// An IDX images file and its labels file.
    Idx,
    /// A folder of class sub-folders of PNG or JPEG files.
    Images,
    /// Texts and labels in a CSV, for a given BERT-family model (--pretrained).
    Text,
}

/// `init DATA`: inspect the data and write a suite for it.
pub(super) fn init(args: InitArgs) -> Result<ExitCode> {
    let request = InitRequest {
        data: args.data.clone(),
        format: args.format.and_then(|f| match f {
            InitFormat::Csv => Some(TableFormat::Csv),
            InitFormat::Idx => Some(TableFormat::Idx),
            InitFormat::Images => Some(TableFormat::Images),
            InitFormat::Text => None,
        }),
        labels: args.labels,
        label_column: Some(args.label_column),
        text_column: Some(args.text_column),
        source_classes: args.source_classes,
        test: args.test,
        test_labels: args.test_labels,
        pretrained: args.pretrained.as_deref().map(super::given_model).transpose()?,
        source: args.source,
    };
    let (text, summary) = if matches!(args.format, Some(InitFormat::Text)) {
        let found = request.inspect_text()?;
        let summary = describe(&found.class_names, &found.counts, "texts");
        (request.text_suite_toml(&found)?, summary)
    } else {
        let found = request.inspect()?;
        let summary = describe(
            &found.class_names,
            &found.counts,
            &format!("{} values per example", found.feature_len),
        );
        (request.suite_toml(&found)?, summary)
    };
    let out = args.out.unwrap_or_else(|| {
        let stem = args
            .data
            .file_name()
            .map_or("data".into(), |n| n.to_string_lossy().to_string());
        PathBuf::from(format!("{}.toml", stem.split('.').next().unwrap_or("data")))
    });
    if out.exists() {
        anyhow::bail!(
            "{} exists: reuse-bench never overwrites a file; give --out NEW_FILE",
            out.display()
        );
    }
    reuse_bench::fsio::write_atomic(&out, text.as_bytes())?;
    eprintln!("{}: {summary}", args.data.display());
    eprintln!(
        "wrote {}; review target_accuracy, then: reuse-bench run --suite {} --quick",
        out.display(),
        out.display()
    );
    println!("{}", out.display());
    Ok(ExitCode::SUCCESS)
}

/// `3 classes, <what>: a (10), b (12), c (9)`.
fn describe(names: &[String], counts: &[usize], what: &str) -> String {
    let classes: Vec<String> = names.iter().zip(counts).map(|(n, c)| format!("{n} ({c})")).collect();
    format!("{} classes, {what}: {}", names.len(), classes.join(", "))
}
