//! The one template engine behind every human-readable file: minijinja with
//! the summary's and the page's templates, rendering a [`Page`]. Templates
//! only lay out; every figure is formatted in Rust before it gets here.

use super::table::Table;
use super::view::Page;
use crate::{Error, Result};
use minijinja::value::ViaDeserialize;

/// `summary.md`'s template (Markdown; no escaping).
const SUMMARY_MD: &str = include_str!("templates/summary.md");
/// `index.html`'s template (HTML; values are escaped).
const INDEX_HTML: &str = include_str!("templates/index.html");

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
    for (name, text) in [("summary.md", SUMMARY_MD), ("index.html", INDEX_HTML)] {
        env.add_template(name, text)
            .map_err(|e| Error::Report(format!("template {name}: {e}")))?;
    }
    Ok(env)
}

/// Renders the template `name` (`summary.md` or `index.html`) over `page`.
pub fn render(name: &str, page: &Page) -> Result<String> {
    let env = environment()?;
    env.get_template(name)
        .and_then(|t| t.render(page))
        .map_err(|e| Error::Report(format!("rendering {name}: {e}")))
}
