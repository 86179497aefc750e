//! The optional TOML config file: settings below flags and `CHAMI_*` variables.
//!
//! Keys are the long flag names; top-level keys set global flags, a `[serve]` table sets
//! `chami serve`'s, and so on for every subcommand:
//!
//! ```toml
//! log = "info"
//! [serve]
//! listen = "10.0.0.5:8443"
//! jwks-url = ["https://idp.example/.well-known/jwks.json"]
//! ```

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgMatches, Command};

/// The file read when `--config` is not given: `$XDG_CONFIG_HOME/chami/config.toml`.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("chami").join("config.toml"))
}

/// Flags to add to the command line for every setting in `file` that neither the command line
/// nor the environment gave. `matches` is a first parse of the same command line.
pub fn extra_args(
    cmd: &Command,
    matches: &ArgMatches,
    file: &Path,
) -> Result<Vec<OsString>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("{}: not valid TOML: {e}", file.display()))?;
    let mut out = Vec::new();
    let sub = matches.subcommand();
    for (key, value) in &table {
        match value {
            toml::Value::Table(t) => {
                // Only the table of the subcommand being run applies.
                let Some((name, sub_matches)) = sub.filter(|(n, _)| n == key) else {
                    if cmd.find_subcommand(key).is_none() {
                        return Err(format!("{}: unknown section [{key}]", file.display()));
                    }
                    continue;
                };
                let sub_cmd = cmd
                    .find_subcommand(name)
                    .ok_or_else(|| format!("{}: unknown section [{key}]", file.display()))?;
                for (k, v) in t {
                    push_setting(
                        sub_cmd,
                        sub_matches,
                        &format!("[{key}] {k}"),
                        k,
                        v,
                        file,
                        &mut out,
                    )?;
                }
            }
            v => push_setting(cmd, matches, key, key, v, file, &mut out)?,
        }
    }
    Ok(out)
}

fn push_setting(
    cmd: &Command,
    matches: &ArgMatches,
    label: &str,
    key: &str,
    value: &toml::Value,
    file: &Path,
    out: &mut Vec<OsString>,
) -> Result<(), String> {
    let arg = cmd
        .get_arguments()
        .find(|a| a.get_long() == Some(key))
        .ok_or_else(|| format!("{}: unknown setting {label}", file.display()))?;
    let given = matches!(
        matches.value_source(arg.get_id().as_str()),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    );
    if given {
        return Ok(());
    }
    let values: Vec<&toml::Value> = match value {
        toml::Value::Array(a) => a.iter().collect(),
        v => vec![v],
    };
    for v in values {
        let text = match v {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            _ => {
                return Err(format!(
                    "{}: {label} must be a string, number, boolean or a list of them",
                    file.display()
                ))
            }
        };
        out.push(format!("--{key}={text}").into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction};

    fn cli() -> Command {
        Command::new("chami")
            .arg(
                Arg::new("log")
                    .long("log")
                    .global(true)
                    .default_value("info"),
            )
            .subcommand(
                Command::new("serve")
                    .arg(
                        Arg::new("listen")
                            .long("listen")
                            .default_value("127.0.0.1:8443"),
                    )
                    .arg(
                        Arg::new("jwks-url")
                            .long("jwks-url")
                            .action(ArgAction::Append),
                    )
                    .arg(Arg::new("skew").long("skew").env("TEST_CONFIG_SKEW")),
            )
            .subcommand(Command::new("demo").arg(Arg::new("nodes").long("nodes")))
    }

    fn run(file: &str, argv: &[&str]) -> Result<ArgMatches, String> {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, file).expect("write");
        let cmd = cli();
        let first = cmd.clone().try_get_matches_from(argv).expect("first parse");
        let mut argv: Vec<OsString> = argv.iter().map(OsString::from).collect();
        argv.extend(extra_args(&cmd, &first, &path)?);
        Ok(cmd.try_get_matches_from(argv).expect("second parse"))
    }

    fn serve(m: &ArgMatches) -> &ArgMatches {
        m.subcommand_matches("serve").expect("serve")
    }

    #[test]
    fn file_fills_what_flags_and_env_leave_unset() {
        // Only this test reads this variable, so setting it cannot disturb another test.
        std::env::set_var("TEST_CONFIG_SKEW", "5");
        let file = "log = \"debug\"\n[serve]\nlisten = \"10.0.0.5:8443\"\njwks-url = [\"a\", \"b\"]\nskew = 30\n[demo]\nnodes = 5\n";
        let m = run(file, &["chami", "serve"]).expect("ok");
        let s = serve(&m);
        assert_eq!(
            s.get_one::<String>("listen").map(String::as_str),
            Some("10.0.0.5:8443")
        );
        let urls: Vec<&String> = s.get_many::<String>("jwks-url").expect("urls").collect();
        assert_eq!(urls, ["a", "b"]);
        assert_eq!(
            s.get_one::<String>("log").map(String::as_str),
            Some("debug")
        );
        assert_eq!(
            s.get_one::<String>("skew").map(String::as_str),
            Some("5"),
            "the environment wins over the file"
        );

        let m = run(file, &["chami", "serve", "--listen", "127.0.0.1:1"]).expect("ok");
        assert_eq!(
            serve(&m).get_one::<String>("listen").map(String::as_str),
            Some("127.0.0.1:1"),
            "the command line wins"
        );
    }

    #[test]
    fn mistakes_in_the_file_are_named() {
        let err = run("[serve]\nlisten_addr = \"x\"\n", &["chami", "serve"]).unwrap_err();
        assert!(
            err.ends_with("unknown setting [serve] listen_addr"),
            "{err}"
        );
        let err = run("[srve]\nlisten = \"x\"\n", &["chami", "serve"]).unwrap_err();
        assert!(err.ends_with("unknown section [srve]"), "{err}");
        let err = run("[serve\n", &["chami", "serve"]).unwrap_err();
        assert!(err.contains("not valid TOML"), "{err}");
        let err = run("[serve]\nlisten = { a = 1 }\n", &["chami", "serve"]).unwrap_err();
        assert!(err.contains("must be a string"), "{err}");
    }
}
