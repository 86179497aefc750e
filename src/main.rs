//! The `chami` command: dispatches to the faces (server, demo, token tools).

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use chami::cli::token::TokenCommand;
use chami::server::config::{LogFormat, ServeArgs};

/// OpenCHAMI-compatible HPC system management in one program.
#[derive(Debug, Parser)]
#[command(
    name = "chami",
    version,
    about,
    long_about = None,
    after_help = "Without a command, chami opens the full-screen console: over a core it starts \
                  on the data dir, or attached to --server URL."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    console: chami::cli::console::ConsoleArgs,

    /// Log filter in RUST_LOG syntax (RUST_LOG wins when set).
    #[arg(long, env = "CHAMI_LOG", default_value = "info", global = true)]
    log: String,

    /// TOML settings file: keys are flag names, `[serve]` etc. per command; flags and CHAMI_*
    /// variables win over it (default: $XDG_CONFIG_HOME/chami/config.toml when it exists).
    #[arg(long, env = "CHAMI_CONFIG", global = true)]
    config: Option<PathBuf>,
}

/// Parses the command line, then fills in settings from the config file, if there is one.
fn parse_cli() -> Result<Cli, String> {
    let cmd = Cli::command();
    let mut argv: Vec<OsString> = std::env::args_os().collect();
    let first = cmd.clone().get_matches_from(&argv);
    let path = match first.get_one::<PathBuf>("config") {
        Some(p) => Some(p.clone()),
        None => chami::server::config_file::default_path().filter(|p| p.exists()),
    };
    let matches = match path {
        None => first,
        Some(path) => {
            argv.extend(chami::server::config_file::extra_args(&cmd, &first, &path)?);
            cmd.try_get_matches_from(argv)
                .map_err(|e| format!("{} (after applying {})", e.render(), path.display()))?
        }
    };
    if let Some((name, _)) = matches.subcommand() {
        // The console's options (--server, --theme, ...) before a command would be ignored.
        let console = <chami::cli::console::ConsoleArgs as clap::Args>::augment_args(
            clap::Command::new("console"),
        );
        for arg in console.get_arguments() {
            let given = matches.value_source(arg.get_id().as_str())
                == Some(clap::parser::ValueSource::CommandLine);
            if given {
                let flag = arg.get_long().unwrap_or(arg.get_id().as_str());
                return Err(format!(
                    "--{flag} before '{name}' is the console's option: put it after the \
                     command (chami {name} ... --{flag} ...)"
                ));
            }
        }
    }
    Cli::from_arg_matches(&matches).map_err(|e| e.to_string())
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the headless HTTPS core: inventory (SMD), boot (BSS), power (PCS), tenants, auth.
    Serve(Box<ServeArgs>),
    /// Tokens from the built-in issuer.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The console over a throw-away core with a simulated cluster (--headless: just the core).
    Demo(chami::cli::demo::DemoArgs),
    /// A simulated Redfish BMC fleet on loopback addresses 127.10.x.y, until ctrl-c.
    Sim(chami::cli::sim::SimArgs),
    /// Discover registered BMCs (by xname or FQDN) into inventory and print each outcome.
    Discover(chami::cli::discover::DiscoverArgs),
    /// Components: list, show, set-state, enable, disable.
    #[command(subcommand)]
    Nodes(chami::cli::nodes::NodesCommand),
    /// Power: status, on, off, restarts, wait, abort, list.
    #[command(subcommand)]
    Power(chami::cli::power::PowerCommand),
    /// Boot parameters: get, set, edit, script, history, restore.
    #[command(subcommand)]
    Boot(chami::cli::boot::BootCommand),
    /// Groups: list, show, create, delete, add, remove.
    #[command(subcommand)]
    Groups(chami::cli::sets::SetsCommand),
    /// Partitions: list, show, create, delete, add, remove.
    #[command(subcommand)]
    Partitions(chami::cli::sets::SetsCommand),
    /// Redfish endpoints (BMCs): list, show, add, delete.
    #[command(subcommand)]
    Endpoints(chami::cli::endpoints::EndpointsCommand),
    /// Ethernet interfaces: list, show, add, delete.
    #[command(subcommand)]
    Interfaces(chami::cli::interfaces::InterfacesCommand),
    /// Node maps (each node's default NID, Role, SubRole): list, load, delete.
    #[command(subcommand)]
    Nodemaps(chami::cli::nodemaps::NodeMapsCommand),
    /// Tenants: list, show, create, delete, add, release.
    #[command(subcommand)]
    Tenants(chami::cli::tenants::TenantsCommand),
    /// The audit log, newest last.
    Audit(chami::cli::audit::AuditArgs),
    /// Shell completions on stdout (`chami completions bash > /etc/bash_completion.d/chami`).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// The manual page (roff) on stdout, or with --out-dir one page per command in DIR.
    Man {
        /// Write chami.1, chami-serve.1, ... here instead.
        #[arg(long)]
        out_dir: Option<PathBuf>,
    },
}

/// `chami completions` and `chami man`: generated from the same definition as the parser.
fn docs(command: &Command) -> std::io::Result<()> {
    let mut cmd = Cli::command();
    match command {
        Command::Completions { shell } => {
            // Into a buffer: generate() panics when its writer fails (a closed pipe).
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut cmd, "chami", &mut out);
            std::io::stdout().write_all(&out)
        }
        Command::Man { out_dir: Some(dir) } => {
            std::fs::create_dir_all(dir)?;
            clap_mangen::generate_to(cmd, dir)
        }
        Command::Man { out_dir: None } => clap_mangen::Man::new(cmd).render(&mut std::io::stdout()),
        _ => Ok(()),
    }
}

fn init_logging(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// The console owns the screen: its log goes to a file, never to the terminal.
fn init_file_logging(filter: &str) -> anyhow::Result<()> {
    let path = chami::cli::console::log_path();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create the log dir {}: {e}", dir.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| anyhow::anyhow!("cannot open the log {}: {e}", path.display()))?;
    // The console polls the core every few seconds: one log line per request is noise there.
    let filter = if filter == "info" {
        "info,tower_http=warn"
    } else {
        filter
    };
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .init();
    Ok(())
}

/// One-shot commands log warnings only, unless asked: the in-process core's request lines
/// would drown the answer.
fn quiet(filter: &str) -> &str {
    if filter == "info" {
        "warn"
    } else {
        filter
    }
}

/// Runs a scriptable noun: quiet logging, its own runtime, and the exit code of its result.
fn one_shot(
    log: &str,
    work: impl std::future::Future<Output = Result<(), chami::cli::output::Failure>>,
) -> ExitCode {
    init_logging(quiet(log), LogFormat::Text);
    chami::cli::output::exit(
        runtime()
            .map_err(chami::cli::output::Failure::from)
            .and_then(|rt| rt.block_on(work)),
    )
}

fn main() -> ExitCode {
    let cli = match parse_cli() {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("chami: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        None => {
            if let Err(e) = init_file_logging(&cli.log) {
                eprintln!("chami: {e:#}");
                return ExitCode::FAILURE;
            }
            runtime().and_then(|rt| rt.block_on(chami::cli::console::run(cli.console)))
        }
        Some(c @ (Command::Completions { .. } | Command::Man { .. })) => {
            return match docs(&c) {
                // `chami man | head` closing the pipe early is not a failure.
                Ok(()) => ExitCode::SUCCESS,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("chami: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        Some(Command::Token(chami::cli::token::TokenCommand::Get(a))) => {
            return one_shot(&cli.log, async move { chami::cli::token::get(&a).await })
        }
        Some(Command::Token(chami::cli::token::TokenCommand::Mint(a))) => {
            chami::cli::token::mint(&a)
        }
        Some(Command::Serve(args)) => {
            let format = args.log_format;
            init_logging(&cli.log, format);
            runtime().and_then(|rt| rt.block_on(serve(*args, format)))
        }
        Some(Command::Discover(args)) => {
            // A one-shot command: the in-process core's request lines would drown the answer.
            let filter = if cli.log == "info" { "warn" } else { &cli.log };
            init_logging(filter, LogFormat::Text);
            return match runtime().and_then(|rt| rt.block_on(chami::cli::discover::run(args))) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("chami: {e:#}");
                    ExitCode::FAILURE
                }
            };
        }
        Some(Command::Nodes(cmd)) => return one_shot(&cli.log, chami::cli::nodes::run(cmd)),
        Some(Command::Power(cmd)) => return one_shot(&cli.log, chami::cli::power::run(cmd)),
        Some(Command::Boot(cmd)) => return one_shot(&cli.log, chami::cli::boot::boot(cmd)),
        Some(Command::Groups(cmd)) => {
            return one_shot(&cli.log, chami::cli::sets::sets(cmd, false))
        }
        Some(Command::Partitions(cmd)) => {
            return one_shot(&cli.log, chami::cli::sets::sets(cmd, true))
        }
        Some(Command::Endpoints(cmd)) => {
            return one_shot(&cli.log, chami::cli::endpoints::endpoints(cmd))
        }
        Some(Command::Interfaces(cmd)) => {
            return one_shot(&cli.log, chami::cli::interfaces::interfaces(cmd))
        }
        Some(Command::Nodemaps(cmd)) => {
            return one_shot(&cli.log, chami::cli::nodemaps::nodemaps(cmd))
        }
        Some(Command::Tenants(cmd)) => {
            return one_shot(&cli.log, chami::cli::tenants::tenants(cmd))
        }
        Some(Command::Audit(args)) => return one_shot(&cli.log, chami::cli::audit::audit(args)),
        Some(Command::Sim(args)) => {
            init_logging(&cli.log, LogFormat::Text);
            runtime().and_then(|rt| rt.block_on(chami::cli::sim::run(args)))
        }
        Some(Command::Demo(args)) => {
            let logged = if args.headless {
                init_logging(&cli.log, LogFormat::Text);
                Ok(())
            } else {
                init_file_logging(&cli.log)
            };
            match logged {
                Ok(()) => runtime().and_then(|rt| rt.block_on(chami::cli::demo::run(args))),
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chami: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

async fn serve(args: ServeArgs, format: LogFormat) -> anyhow::Result<()> {
    let server = chami::server::start(&args).await?;
    let ca = server.ca.as_ref().map(|p| p.display().to_string());
    tracing::info!(url = %server.url(), data_dir = %server.data_dir.display(), ca, "chami core listening");
    // In JSON mode the log line above is the whole announcement: collectors expect only JSON.
    if format == LogFormat::Text {
        match &server.ca {
            Some(ca) => eprintln!(
                "chami: listening on {} (CA certificate: {})",
                server.url(),
                ca.display()
            ),
            None => eprintln!("chami: listening on {}", server.url()),
        }
    }
    server.run_until_signal().await
}
