//! The full-screen console. One state (`state::App`), a pure `update::update`, a pure
//! `ui::draw`; this module owns the terminal and the I/O: a thread reads keys, tokio tasks call
//! the core through `client::Client`, and everything comes back as `update::Msg` on one channel.

pub mod boot;
pub mod cap;
pub mod filter;
pub mod keymap;
pub mod power;
pub mod state;
pub mod tenant;
pub mod text;
pub mod theme;
pub mod ui;
pub mod ui_boot;
pub mod ui_power;
pub mod ui_tenant;
pub mod update;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tokio::sync::mpsc;

use crate::client::Client;
use keymap::Keymap;
use state::App;
use theme::Theme;
use update::{update, Command, Msg};

/// How often time advances in the console (refresh checks).
const TICK: Duration = Duration::from_millis(250);

/// The shortest time between two frames (about 60 per second); a frame is drawn only when
/// the state changed.
const FRAME: Duration = Duration::from_millis(16);

/// How the console looks and behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Colours.
    pub theme: Theme,
    /// Keys.
    pub keymap: Keymap,
    /// Hide every mutating action and show `[RO]`.
    pub read_only: bool,
    /// Above this many targets a power action asks for the count to be typed.
    pub confirm_over: usize,
    /// A problem found while loading settings, shown at start.
    pub banner: Option<String>,
}

/// Runs the console over `client` until the operator quits. The terminal is restored on
/// return and on panic.
pub async fn run(client: Client, opts: Options) -> anyhow::Result<()> {
    tracing::info!(core = client.base_url(), "console started");
    let mut terminal = ratatui::init();
    let result = run_loop(&mut terminal, client, opts).await;
    ratatui::restore();
    result
}

async fn run_loop(
    terminal: &mut ratatui::DefaultTerminal,
    client: Client,
    opts: Options,
) -> anyhow::Result<()> {
    let mut app = App::new(
        client.base_url(),
        client.identity(),
        opts.read_only,
        opts.keymap,
    );
    app.confirm_over = opts.confirm_over;
    app.tenant = client.tenant().map(str::to_string);
    if let Some(b) = opts.banner {
        app.message = Some((b, true));
    }
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let stop = Arc::new(AtomicBool::new(false));
    let pause = Pause::default();
    let input = spawn_input(tx.clone(), stop.clone(), pause.clone());
    let mut tick = tokio::time::interval(TICK);
    let mut frames = tokio::time::interval(FRAME);
    frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // A hang-up (the ssh session or the tmux pane went away) ends the console; without this
    // the process would outlive its terminal.
    #[cfg(unix)]
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let result = loop {
        #[cfg(unix)]
        let hung_up = async {
            match hangup.as_mut() {
                Some(h) => h.recv().await,
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let hung_up = std::future::pending::<Option<()>>();
        let msg = tokio::select! {
            Some(m) = rx.recv() => Some(m),
            _ = tick.tick() => Some(Msg::Tick(Instant::now())),
            _ = frames.tick() => None,
            _ = hung_up => {
                tracing::info!("the terminal hung up; quitting");
                break Ok(());
            }
        };
        if let Some(msg) = msg {
            let mut commands = update(&mut app, msg);
            while let Ok(m) = rx.try_recv() {
                commands.extend(update(&mut app, m));
            }
            for c in commands {
                if let Command::EditExternally(text) = c {
                    let result = edit_externally(terminal, &pause, &text).await;
                    let _ = tx.send(Msg::EditedExternally(result));
                    app.dirty = true;
                    continue;
                }
                run_command(c, &client, &tx);
            }
            if app.quit {
                break Ok(());
            }
            // Drawing waits for the next frame tick: at most one frame per tick, however
            // fast keys and answers arrive.
            continue;
        }
        if app.dirty {
            let mut fit = None;
            if let Err(e) = terminal.draw(|f| fit = Some(ui::draw(f, &app, &opts.theme))) {
                break Err(anyhow::anyhow!("cannot draw: {e}"));
            }
            app.dirty = false;
            if let Some(fit) = fit {
                // A new layout (first frame, resize) may move the cursor's page: draw again.
                app.dirty = app.fitted(fit);
            }
        }
    };
    stop.store(true, Ordering::Relaxed);
    // Not joined: after a hang-up crossterm's read can spin on the dead terminal and never
    // come back; the thread ends with the process.
    drop(input);
    result
}

/// Stops the input thread reading the terminal while another program uses it: `asked` is set
/// by the loop, `parked` by the thread once it no longer reads.
#[derive(Debug, Clone, Default)]
struct Pause {
    asked: Arc<AtomicBool>,
    parked: Arc<AtomicBool>,
}

/// Hands the terminal to `$VISUAL` or `$EDITOR` (else `vi`) on a private temporary file with
/// `text`; returns what the file holds when the editor exits, or why it could not run.
async fn edit_externally(
    terminal: &mut ratatui::DefaultTerminal,
    pause: &Pause,
    text: &str,
) -> Result<String, String> {
    pause.asked.store(true, Ordering::SeqCst);
    // The input thread finishes its poll (at most 100 ms) and parks.
    for _ in 0..50 {
        if pause.parked.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    ratatui::restore();
    let result = crate::edit::external(text).await;
    *terminal = ratatui::init();
    let _ = terminal.clear();
    pause.asked.store(false, Ordering::SeqCst);
    result
}

/// Reads terminal events on a thread of its own until `stop`.
fn spawn_input(
    tx: mpsc::UnboundedSender<Msg>,
    stop: Arc<AtomicBool>,
    pause: Pause,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            if pause.asked.load(Ordering::SeqCst) {
                pause.parked.store(true, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            pause.parked.store(false, Ordering::SeqCst);
            let asked = Instant::now();
            match event::poll(Duration::from_millis(100)) {
                Ok(true) => {}
                Ok(false) => {
                    // A poll that returns at once with nothing means the terminal is gone:
                    // wait instead of spinning.
                    if asked.elapsed() < Duration::from_millis(50) {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    continue;
                }
                Err(_) => break,
            }
            let msg = match event::read() {
                Ok(Event::Key(mut k)) if k.kind == KeyEventKind::Press => {
                    // Esc and a quick next key arrive as one Alt chord; the console binds no
                    // Alt chords, so it is the two keys the operator pressed.
                    if k.modifiers.contains(KeyModifiers::ALT) {
                        let esc = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
                        if tx.send(Msg::Key(esc)).is_err() {
                            break;
                        }
                        k.modifiers.remove(KeyModifiers::ALT);
                    }
                    Msg::Key(k)
                }
                Ok(Event::Resize(..)) => Msg::Resize,
                Ok(_) => continue,
                Err(_) => break,
            };
            if tx.send(msg).is_err() {
                break;
            }
        }
    })
}

/// The wall-clock time for "stale since" (UTC, `HH:MM:SS`).
fn clock() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!("{:02}:{:02}:{:02}Z", now.hour(), now.minute(), now.second())
}

/// Runs `call` with a clone of the client on a task of its own; the message it ends with goes
/// back to the loop.
fn spawn_call<F>(client: &Client, tx: &mpsc::UnboundedSender<Msg>, call: impl FnOnce(Client) -> F)
where
    F: std::future::Future<Output = Msg> + Send + 'static,
{
    let (work, tx) = (call(client.clone()), tx.clone());
    tokio::spawn(async move {
        let _ = tx.send(work.await);
    });
}

fn run_command(cmd: Command, client: &Client, tx: &mpsc::UnboundedSender<Msg>) {
    use state::{ListData, ListKind};
    match cmd {
        Command::FetchInventory => spawn_call(client, tx, |c| async move {
            let result = tokio::try_join!(c.components(), c.memberships());
            Msg::Inventory {
                result,
                at: clock(),
            }
        }),
        Command::FetchDetail(xname) => spawn_call(client, tx, |c| async move {
            let result = c.node_detail(&xname).await.map(Box::new);
            Msg::Detail { xname, result }
        }),
        Command::FetchPower(xname) => spawn_call(client, tx, |c| async move {
            let result = c.power_of(&xname).await;
            Msg::Power { xname, result }
        }),
        Command::FetchCap(xname) => spawn_call(client, tx, |c| async move {
            let result = c.cap_of(&xname).await;
            Msg::Cap { xname, result }
        }),
        Command::SetCap {
            xname,
            control,
            watts,
        } => spawn_call(client, tx, |c| async move {
            let result = c.cap_set(&xname, &control, watts).await;
            Msg::CapSet { xname, result }
        }),
        Command::FetchList(kind) => spawn_call(client, tx, move |c| async move {
            let result = match kind {
                ListKind::Groups => c.groups().await.map(|g| ListData::groups(&g)),
                ListKind::Partitions => c.partitions().await.map(|p| ListData::partitions(&p)),
                ListKind::Endpoints => c.endpoints().await.map(|e| ListData::endpoints(&e)),
                ListKind::Transitions => c.transitions().await.map(|t| ListData::transitions(&t)),
                ListKind::Tenants => return Msg::Tenants(c.tenants().await),
                ListKind::Boot => c.boot_entries().await.map(|b| ListData::boot(&b)),
                ListKind::Audit => c
                    .audit("order=desc&limit=1000")
                    .await
                    .map(|a| ListData::audit(&a)),
            };
            Msg::List { kind, result }
        }),
        Command::FetchAudit(query) => spawn_call(client, tx, |c| async move {
            let q = if query.is_empty() {
                "order=desc&limit=1000".to_string()
            } else {
                format!("order=desc&limit=1000&{query}")
            };
            Msg::List {
                kind: ListKind::Audit,
                result: c.audit(&q).await.map(|a| ListData::audit(&a)),
            }
        }),
        Command::Copy(text) => copy_osc52(&text),
        Command::FetchComponents(ids) => spawn_call(client, tx, |c| async move {
            Msg::Components(c.components_named(&ids).await)
        }),
        Command::PreviewTransition { operation, targets } => {
            spawn_call(client, tx, |c| async move {
                Msg::Previewed(c.preview_transition(&operation, &targets).await)
            })
        }
        Command::StartTransition { operation, targets } => spawn_call(client, tx, |c| async move {
            Msg::Started(c.start_transition(&operation, &targets).await)
        }),
        Command::FetchTransition(id) => spawn_call(client, tx, |c| async move {
            let result = c.transition(&id).await.map(Box::new);
            Msg::Transition { id, result }
        }),
        Command::AbortTransition(id) => spawn_call(client, tx, |c| async move {
            let result = c.abort_transition(&id).await;
            Msg::Aborted { id, result }
        }),
        Command::LoadBoot { targets, conflict } => spawn_call(client, tx, move |c| async move {
            let result = c.boot_base(&targets).await.map(Box::new);
            Msg::BootLoaded {
                targets,
                conflict,
                result,
            }
        }),
        Command::Discover(id) => spawn_call(client, tx, move |c| async move {
            let result = c.discover(std::slice::from_ref(&id)).await;
            Msg::DiscoveryStarted { id, result }
        }),
        Command::FetchDiscoveryStatus => spawn_call(client, tx, |c| async move {
            Msg::DiscoveryStatus(c.discovery_status().await)
        }),
        Command::ChangeMembers {
            partition,
            name,
            add,
            ids,
        } => spawn_call(client, tx, move |c| async move {
            let set = if partition { "partition" } else { "group" };
            let what = format!(
                "{} {set} {name}",
                if add { "added to" } else { "removed from" }
            );
            let results = c.change_members(partition, &name, add, &ids).await;
            Msg::MembersChanged { what, results }
        }),
        Command::LoadTenant { name, conflict } => spawn_call(client, tx, |c| async move {
            let result = c.tenant_get(&name).await.map(Box::new);
            Msg::TenantLoaded {
                name,
                conflict,
                result,
            }
        }),
        Command::SaveTenant { spec, etag } => spawn_call(client, tx, |c| async move {
            Msg::TenantSaved(c.tenant_put(&spec, etag.as_deref()).await)
        }),
        Command::DeleteTenant(name) => spawn_call(client, tx, |c| async move {
            let result = c.tenant_delete(&name).await;
            let what = match &result {
                Ok(said) => said.clone(),
                Err(_) => format!("delete tenant {name}"),
            };
            Msg::TenantsChanged {
                what,
                result: result.map(|_| Vec::new()),
            }
        }),
        Command::JoinTenant { name, nodes } => spawn_call(client, tx, |c| async move {
            let what = format!("assign {} node(s) to tenant {name}", nodes.len());
            let result = c
                .tenant_join(&name, &nodes)
                .await
                .map(|()| vec![(name, Ok(()))]);
            Msg::TenantsChanged { what, result }
        }),
        Command::ReleaseFromTenants(ids) => spawn_call(client, tx, |c| async move {
            let what = format!("release {} node(s)", ids.len());
            Msg::TenantsChanged {
                what,
                result: c.tenant_release(&ids).await,
            }
        }),
        Command::FetchBootScript(node) => spawn_call(client, tx, |c| async move {
            let result = c.boot_script_preview(&node).await;
            Msg::BootScript { node, result }
        }),
        Command::FetchBootHistory(name) => spawn_call(client, tx, |c| async move {
            let result = c.boot_history(&name, 50).await;
            Msg::BootHistory { name, result }
        }),
        Command::SaveBoot {
            targets,
            params,
            etag,
            create,
        } => spawn_call(client, tx, move |c| async move {
            Msg::BootSaved(
                c.boot_write(&targets, &params, etag.as_deref(), create)
                    .await,
            )
        }),
        // The loop runs the editor itself: it needs the terminal.
        Command::EditExternally(_) => {}
        Command::Subscribe(last) => {
            tokio::spawn(follow(client.clone(), tx.clone(), last));
        }
    }
}

/// Follows the core's event stream, sending each event, until it drops or the console quits.
async fn follow(client: Client, tx: mpsc::UnboundedSender<Msg>, last: Option<u64>) {
    let down = |e: crate::client::ClientError| Msg::StreamDown {
        reason: e.to_string(),
        at: clock(),
        now: Instant::now(),
    };
    let mut stream = match client.events(last).await {
        Ok(s) => s,
        Err(e) => {
            let _ = tx.send(down(e));
            return;
        }
    };
    if tx.send(Msg::StreamUp).is_err() {
        return;
    }
    loop {
        let msg = match stream.next().await {
            Ok(f) => Msg::Event(f),
            Err(e) => {
                tracing::warn!(error = %e, "event stream dropped; polling");
                let _ = tx.send(down(e));
                return;
            }
        };
        if tx.send(msg).is_err() {
            return;
        }
    }
}

/// Puts `text` on the terminal's clipboard with OSC 52 (works over ssh; tmux needs
/// `set-clipboard on`).
fn copy_osc52(text: &str) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = std::io::stdout();
    let _ = write!(out, "\x1b]52;c;{b64}\x07");
    let _ = out.flush();
}
