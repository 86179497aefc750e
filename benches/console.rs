//! The console with 100,000 components in its state: the time from a filter keystroke to a
//! rendered frame (criterion, plus the p50/p99/max of a typed filter), and resident memory.
//!
//! Run: `cargo bench --bench console` (figures go in bench/RESULTS.md).

use std::time::{Duration, Instant};

use chami::model::component::Component;
use chami::model::enums::{Arch, Role, State};
use chami::model::group::Membership;
use chami::tui::keymap::Keymap;
use chami::tui::state::App;
use chami::tui::theme::Theme;
use chami::tui::ui;
use chami::tui::update::{update, Msg};
use criterion::Criterion;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

const NODES: usize = 100_000;

fn state() -> App {
    let comps: Vec<Component> = (0..NODES)
        .map(|i| {
            let (cab, rest) = (1000 + i / 128, i % 128);
            let id = format!("x{cab}c{}s{}b0n{}", rest / 16, (rest % 16) / 2, rest % 2);
            let mut c = Component::new(
                id.parse().expect("xname"),
                if i % 10 == 0 {
                    State::Off
                } else {
                    State::Ready
                },
            );
            c.role = Some(if i % 50 == 0 {
                Role::Management
            } else {
                Role::Compute
            });
            c.nid = Some(i as i64 + 1);
            c.arch = Some(Arch::X86);
            c
        })
        .collect();
    let members: Vec<Membership> = comps
        .iter()
        .step_by(3)
        .map(|c| Membership {
            id: c.id.clone(),
            group_labels: vec!["compute".into(), "batch".into()],
            partition_name: "p1".into(),
        })
        .collect();
    let mut app = App::new(
        "https://bench",
        ("bench".into(), vec![]),
        false,
        Keymap::default(),
    );
    update(
        &mut app,
        Msg::Inventory {
            result: Ok((comps, members)),
            at: "00:00:00Z".into(),
        },
    );
    app
}

fn press(app: &mut App, code: KeyCode) {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn frame(app: &mut App, term: &mut Terminal<TestBackend>, theme: &Theme) {
    let mut fit = None;
    term.draw(|f| fit = Some(ui::draw(f, app, theme)))
        .expect("draw");
    app.fitted(fit.expect("drawn"));
}

/// Resident memory of this process, in MiB.
fn rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

fn main() {
    let before = rss_mib();
    let t = Instant::now();
    let mut app = state();
    let built = t.elapsed();
    let theme = Theme::named("default").expect("theme");
    let mut term = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
    frame(&mut app, &mut term, &theme);
    println!(
        "state of {NODES} components built in {built:?}; RSS {} MiB (was {before} MiB before)",
        rss_mib()
    );

    // Typing a realistic filter, keystroke by keystroke, then erasing it: each sample is one
    // key handled plus one frame drawn.
    let text = "state=off role=compute x10[00-40]c0s[0-7]b0n[0-1]";
    let mut samples: Vec<Duration> = Vec::new();
    for _ in 0..5 {
        press(&mut app, KeyCode::Char('/'));
        for c in text.chars() {
            let t = Instant::now();
            press(&mut app, KeyCode::Char(c));
            frame(&mut app, &mut term, &theme);
            samples.push(t.elapsed());
        }
        for _ in text.chars() {
            let t = Instant::now();
            press(&mut app, KeyCode::Backspace);
            frame(&mut app, &mut term, &theme);
            samples.push(t.elapsed());
        }
        press(&mut app, KeyCode::Esc);
    }
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "filter keystroke to frame over {} keys: p50 {:?}  p99 {:?}  max {:?}",
        samples.len(),
        pct(0.50),
        pct(0.99),
        samples[samples.len() - 1]
    );
    println!("RSS after typing: {} MiB", rss_mib());

    let mut c = Criterion::default().configure_from_args().sample_size(30);
    c.bench_function("filter keystroke + frame, 100k components", |b| {
        press(&mut app, KeyCode::Char('/'));
        for ch in "state=off".chars() {
            press(&mut app, KeyCode::Char(ch));
        }
        b.iter(|| {
            press(&mut app, KeyCode::Char('x'));
            frame(&mut app, &mut term, &theme);
            press(&mut app, KeyCode::Backspace);
            frame(&mut app, &mut term, &theme);
        });
        press(&mut app, KeyCode::Esc);
    });
    c.bench_function("cursor down + frame, 100k components", |b| {
        b.iter(|| {
            press(&mut app, KeyCode::Down);
            frame(&mut app, &mut term, &theme);
        })
    });
    c.final_summary();
}
