//! `summary.md` and `index.html`: the one view model ([`super::view::Page`])
//! through the one template engine ([`super::templates`]).

use super::templates::render;
use super::view::Page;
use super::{Exporter, OutputFile, Rendered};
use crate::results::files::{INDEX_HTML, SUMMARY_MD};
use crate::Result;

/// The human-readable files: the Markdown summary and the self-contained page.
pub(super) struct Documents;

impl Exporter for Documents {
    fn render(&self, input: &Rendered) -> Result<Vec<OutputFile>> {
        let page = Page::new(input.results, input.charts);
        Ok(vec![
            OutputFile::new(SUMMARY_MD, render(SUMMARY_MD, &page)?.into_bytes()),
            OutputFile::new(INDEX_HTML, render(INDEX_HTML, &page)?.into_bytes()),
        ])
    }
}
