//! The one template engine behind every human-readable file: minijinja with
//! the summary's and the page's templates, rendering a [`Page`]. Templates
//! only lay out; every figure is formatted in Rust before it gets here.

use super::compare::CompareView;
use super::table::Table;
use super::view::Page;
use crate::results::files::{COMPARE_MD, INDEX_HTML, SUMMARY_MD};
use crate::{Error, Result};
use minijinja::value::ViaDeserialize;

/// `summary.md`'s template (Markdown: minijinja escapes nothing in a `.md` template).
const SUMMARY_TEMPLATE: &str = include_str!("templates/summary.md");
/// `index.html`'s template (HTML: every value is escaped).
const INDEX_TEMPLATE: &str = include_str!("templates/index.html");
/// `compare.md`'s template.
const COMPARE_TEMPLATE: &str = include_str!("templates/compare.md");

/// The environment holding both templates and the `markdown_table` filter.
fn environment() -> Result<minijinja::Environment<'static>> {
    let mut env = minijinja::Environment::new();
    // Block tags take their own line and leave no blank line behind, so the
    // Markdown template reads like the Markdown it writes.
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env.add_filter("markdown_table", |table: ViaDeserialize<Table>| {
        table.0.to_markdown().trim_end().to_string()
    });
    // Each template is registered under its output file's name: the extension
    // decides minijinja's escaping.
    for (name, text) in [
        (SUMMARY_MD, SUMMARY_TEMPLATE),
        (INDEX_HTML, INDEX_TEMPLATE),
        (COMPARE_MD, COMPARE_TEMPLATE),
    ] {
        env.add_template(name, text)
            .map_err(|e| Error::Report(format!("template {name}: {e}")))?;
    }
    Ok(env)
}

/// Renders the template `name` (`summary.md` or `index.html`) over `page`.
pub fn render(name: &str, page: &Page) -> Result<String> {
    render_any(name, page)
}

/// Renders `compare.md` over a comparison's view.
pub fn render_compare(view: &CompareView) -> Result<String> {
    render_any(COMPARE_MD, view)
}

fn render_any(name: &str, context: &impl serde::Serialize) -> Result<String> {
    let env = environment()?;
    env.get_template(name)
        .and_then(|t| t.render(context))
        .map_err(|e| Error::Report(format!("rendering {name}: {e}")))
}
