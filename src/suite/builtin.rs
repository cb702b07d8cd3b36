//! The suites shipped inside the binary, so the default benchmark runs offline
//! on a fresh machine. Their TOML lives in `builtin/` beside this file.

/// Built-in suites: name and TOML text. The first is the default.
pub const BUILTIN_SUITES: &[(&str, &str)] = &[
    ("mnist1d", include_str!("builtin/mnist1d.toml")),
    ("mnist1d-mlp", include_str!("builtin/mnist1d-mlp.toml")),
    ("digits", include_str!("builtin/digits.toml")),
    ("sentiment", include_str!("builtin/sentiment.toml")),
    ("vision", include_str!("builtin/vision.toml")),
    ("vision-fashion", include_str!("builtin/vision-fashion.toml")),
];

/// The TOML of the built-in suite `name`, if there is one.
pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTIN_SUITES.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}
