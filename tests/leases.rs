//! Transition leases in the store, on SQLite and (with `CHAMI_TEST_DATABASE_URL`) PostgreSQL:
//! a node in an open task is not taken by a second transition, a lease passes to exactly one
//! claimant and only once it has ended, and its old holder then no longer holds it.

mod common;

use chami::model::power::{Operation, Task, TaskCounts, TaskStatus, Transition, TransitionStatus};
use chami::store::{Lease, PgStore, SqliteStore, Store};

fn transition(id: &str) -> Transition {
    Transition {
        id: id.into(),
        operation: Operation::On,
        created: "2026-12-01T00:00:00Z".into(),
        expires: "2026-12-02T00:00:00Z".into(),
        status: TransitionStatus::InProgress,
        counts: TaskCounts::default(),
        tasks: None,
        deadline_minutes: 5,
        by: "test".into(),
    }
}

fn task(xname: &str, status: TaskStatus) -> Task {
    Task {
        xname: xname.into(),
        status,
        description: "Gathering data".into(),
        error: String::new(),
    }
}

fn lease(owner: &str, until: i64) -> Lease {
    Lease {
        owner: owner.into(),
        until,
    }
}

async fn check(store: &dyn Store) {
    let a = lease("core-a", 1_000);
    let open = [
        task("x1000c0s0b0n0", TaskStatus::InProgress),
        task("x1000c0s1b0n0", TaskStatus::Succeeded),
    ];
    store
        .create_transition(&transition("t1"), &open, &a)
        .await
        .expect("the first transition");

    // The open task's node is held; the finished task's node is free.
    let err = store
        .create_transition(
            &transition("t2"),
            &[task("x1000c0s0b0n0", TaskStatus::New)],
            &a,
        )
        .await
        .expect_err("a held node");
    assert!(
        err.to_string()
            .contains("locked by running transitions: x1000c0s0b0n0 (transition t1)"),
        "{err}"
    );
    assert!(
        store.transition("t2").await.unwrap().is_none(),
        "nothing written"
    );
    store
        .create_transition(
            &transition("t3"),
            &[task("x1000c0s1b0n0", TaskStatus::New)],
            &lease("core-a", 10_000),
        )
        .await
        .expect("a free node");

    // Before the lease ends nobody else gets t1; after, exactly one of two claimants does.
    let (b, c) = (lease("core-b", 5_000), lease("core-c", 5_000));
    assert!(store.claim_transitions(&b, 999).await.unwrap().is_empty());
    let (got_b, got_c) = tokio::join!(
        store.claim_transitions(&b, 1_001),
        store.claim_transitions(&c, 1_001)
    );
    let (got_b, got_c) = (got_b.unwrap(), got_c.unwrap());
    let mut all = [got_b.clone(), got_c.clone()].concat();
    all.sort();
    // With the end of the lease it had: how long t1 went unattended.
    assert_eq!(
        all,
        [("t1".to_string(), 1_000)],
        "t3's lease has not ended: {got_b:?} {got_c:?}"
    );
    let winner = if got_b.is_empty() { &c } else { &b };

    // The old holder no longer renews it; the new one does, and sees a signalled abort.
    let ids = ["t1".to_string()];
    assert!(store
        .renew_transitions(&lease("core-a", 2_000), &ids)
        .await
        .unwrap()
        .is_empty());
    store
        .set_transition_status("t1", TransitionStatus::AbortSignaled)
        .await
        .unwrap();
    let renewed = store
        .renew_transitions(&lease(&winner.owner, 6_000), &ids)
        .await
        .unwrap();
    assert_eq!(
        renewed,
        [("t1".to_string(), TransitionStatus::AbortSignaled)]
    );

    // Finished transitions are never claimed.
    store
        .set_transition_status("t1", TransitionStatus::Aborted)
        .await
        .unwrap();
    store
        .set_transition_status("t3", TransitionStatus::Completed)
        .await
        .unwrap();
    assert!(store
        .claim_transitions(&lease("core-d", 9_000), i64::MAX)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn sqlite_leases() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
    check(&store).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (CHAMI_TEST_DATABASE_URL); .ci/run runs it"]
async fn postgres_leases() {
    let url = common::fresh_database()
        .await
        .expect("needs PostgreSQL: set CHAMI_TEST_DATABASE_URL (.ci/postgres starts one)");
    let store = PgStore::open(&url).await.unwrap();
    check(&store).await;
}
