//! Colour themes as data (`themes/*.toml`, built in). Colour is never the only signal: the
//! cursor is always reversed and marks always carry a `*`, so `NO_COLOR` and monochrome lose
//! nothing.

use std::path::Path;

use ratatui::style::{Color, Modifier, Style};

/// The built-in themes, by name.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("monochrome", include_str!("../../themes/monochrome.toml")),
];

/// Names of the theme files (`*.toml`) in `dir`, sorted.
fn user_themes(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".toml"))
                .map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

/// Resolved styles for drawing.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub accent: Color,
    pub cursor: Color,
    pub mark: Color,
    pub ok: Color,
    pub warn: Color,
    pub bad: Color,
    pub dim: Color,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    colors: Colors,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Colors {
    accent: String,
    cursor: String,
    mark: String,
    ok: String,
    warn: String,
    bad: String,
    dim: String,
}

impl Theme {
    /// Parses a theme file; errors name the line or the bad colour.
    pub fn parse(text: &str) -> Result<Theme, String> {
        let f: ThemeFile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1))
                .unwrap_or(1);
            format!("line {line}: {}", e.message())
        })?;
        let c = |field: &str, v: &str| {
            v.parse::<Color>().map_err(|_| {
                format!("{field} = \"{v}\" is not a colour (a name, #rrggbb or 0-255)")
            })
        };
        Ok(Theme {
            name: f.name,
            accent: c("accent", &f.colors.accent)?,
            cursor: c("cursor", &f.colors.cursor)?,
            mark: c("mark", &f.colors.mark)?,
            ok: c("ok", &f.colors.ok)?,
            warn: c("warn", &f.colors.warn)?,
            bad: c("bad", &f.colors.bad)?,
            dim: c("dim", &f.colors.dim)?,
        })
    }

    /// A built-in theme by name.
    pub fn named(name: &str) -> Result<Theme, String> {
        let text = BUILT_IN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
                format!("unknown theme '{name}' (built in: {})", names.join(", "))
            })?;
        Theme::parse(text)
    }

    /// The theme `--theme` names: a file when it is a path (`./mine.toml`), else
    /// `NAME.toml` in `user_dir` (`$XDG_CONFIG_HOME/chami/themes`) when there is one, else a
    /// built-in. A user's file that cannot be read or parsed gives the default theme and the
    /// reason (with its line) to show; a name found nowhere is an error listing the names.
    pub fn resolve(name: &str, user_dir: Option<&Path>) -> Result<(Theme, Option<String>), String> {
        let file = if name.contains('/') || name.ends_with(".toml") {
            Some(Path::new(name).to_path_buf())
        } else {
            user_dir
                .map(|d| d.join(format!("{name}.toml")))
                .filter(|p| p.exists())
        };
        let Some(file) = file else {
            return Theme::named(name).map(|t| (t, None)).map_err(|e| {
                let mine = user_dir.map(user_themes).unwrap_or_default();
                match user_dir {
                    Some(dir) if !mine.is_empty() => {
                        format!("{e}; yours in {}: {}", dir.display(), mine.join(", "))
                    }
                    _ => e,
                }
            });
        };
        let read = std::fs::read_to_string(&file)
            .map_err(|e| e.to_string())
            .and_then(|text| Theme::parse(&text));
        match read {
            Ok(t) => Ok((t, None)),
            Err(e) => {
                let why = format!("{}: {e}; using the default theme", file.display());
                Ok((Theme::named("default")?, Some(why)))
            }
        }
    }

    /// The monochrome theme (`NO_COLOR`).
    pub fn monochrome() -> Theme {
        Theme::named("monochrome").unwrap_or(Theme {
            name: "monochrome".into(),
            accent: Color::Reset,
            cursor: Color::Reset,
            mark: Color::Reset,
            ok: Color::Reset,
            warn: Color::Reset,
            bad: Color::Reset,
            dim: Color::Reset,
        })
    }

    /// Headers and titles.
    pub fn accent(&self) -> Style {
        Style::default()
            .fg(self.accent)
            .add_modifier(Modifier::BOLD)
    }

    /// The cursor row: reversed always, tinted when the theme has colour.
    pub fn cursor(&self) -> Style {
        let s = Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD);
        if self.cursor == Color::Reset {
            s
        } else {
            s.fg(self.cursor)
        }
    }

    /// A marked row: bold always.
    pub fn mark(&self) -> Style {
        Style::default().fg(self.mark).add_modifier(Modifier::BOLD)
    }

    /// Quiet text.
    pub fn dim(&self) -> Style {
        Style::default().fg(self.dim)
    }

    /// An error line.
    pub fn error(&self) -> Style {
        Style::default().fg(self.bad).add_modifier(Modifier::BOLD)
    }

    /// The colour of a component state.
    pub fn state(&self, state: &str) -> Style {
        let fg = match state {
            "Ready" | "On" | "Populated" => self.ok,
            "Off" | "Empty" => self.bad,
            "Standby" | "Halt" | "Unknown" => self.warn,
            _ => Color::Reset,
        };
        Style::default().fg(fg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_parse_and_errors_name_the_problem() {
        for (name, _) in BUILT_IN {
            let t = Theme::named(name).unwrap();
            assert_eq!(t.name, *name);
        }
        let e = Theme::named("neon").unwrap_err();
        assert!(e.contains("built in: default"), "{e}");
        let bad = include_str!("../../themes/default.toml").replace("\"cyan\"", "\"not-a-colour\"");
        assert!(Theme::parse(&bad)
            .unwrap_err()
            .contains("accent = \"not-a-colour\""));
        let e = Theme::parse("name = \"x\"\n[colors]\naccent = 3\n").unwrap_err();
        assert!(e.starts_with("line 3"), "{e}");
        // Monochrome still shows the cursor by reversing it.
        let m = Theme::monochrome();
        assert!(m.cursor().add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn user_themes_are_files_by_name_or_path_and_a_bad_one_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        let mine = include_str!("../../themes/default.toml")
            .replace("name = \"default\"", "name = \"ocean\"")
            .replace("\"cyan\"", "\"#0080ff\"");
        std::fs::write(dir.path().join("ocean.toml"), &mine).unwrap();
        std::fs::write(
            dir.path().join("broken.toml"),
            "name = \"b\"\n[colors]\naccent = 3\n",
        )
        .unwrap();

        let (t, warn) = Theme::resolve("ocean", Some(dir.path())).unwrap();
        assert_eq!(
            (t.name.as_str(), t.accent, warn),
            ("ocean", Color::Rgb(0, 0x80, 0xff), None)
        );
        let path = dir.path().join("ocean.toml").display().to_string();
        assert_eq!(Theme::resolve(&path, None).unwrap().0.name, "ocean");
        // Built-ins still resolve with a user dir present.
        assert_eq!(
            Theme::resolve("light", Some(dir.path())).unwrap().0.name,
            "light"
        );

        let (t, warn) = Theme::resolve("broken", Some(dir.path())).unwrap();
        assert_eq!(t.name, "default");
        let warn = warn.unwrap();
        assert!(
            warn.contains("broken.toml: line 3") && warn.contains("default theme"),
            "{warn}"
        );
        let (t, warn) = Theme::resolve("./nowhere.toml", None).unwrap();
        assert_eq!(t.name, "default");
        assert!(warn.unwrap().contains("nowhere.toml"));

        let e = Theme::resolve("neon", Some(dir.path())).unwrap_err();
        assert!(
            e.contains("built in: default") && e.contains("broken, ocean"),
            "{e}"
        );
    }
}
