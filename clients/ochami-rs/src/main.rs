//! Drives chami through ochami-rs: inventory reads, groups and memberships, boot parameters,
//! power transitions and power status. Each step names what it expected; the first failure
//! ends the run with exit 1.
//!
//! Environment: CHAMI_URL (https://127.0.0.1:PORT), CHAMI_TOKEN (an admin token), CHAMI_CA
//! (the CA file), and the nodes `.ci/ochami-rs` seeds: x1000c0s0b0n0 (Ready, NID 1) and
//! x1000c0s1b0n0 (Off, NID 2).

use ochami_rs::bss::types::BootParameters;
use ochami_rs::hsm::group::types::Group;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

fn check(ok: bool, what: &str) {
    if !ok {
        eprintln!("ochami-rs check failed: {what}");
        std::process::exit(1);
    }
    println!("ok: {what}");
}

fn must<T, E: std::fmt::Debug>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            eprintln!("ochami-rs check failed: {what}: {e:?}");
            std::process::exit(1);
        }
    }
}

#[tokio::main]
async fn main() {
    let url = env("CHAMI_URL");
    let token = env("CHAMI_TOKEN");
    let ca = std::fs::read(env("CHAMI_CA")).expect("the CA file");
    let (n0, n1) = ("x1000c0s0b0n0", "x1000c0s1b0n0");

    // Inventory.
    use ochami_rs::hsm::component::http_client as components;
    let all = must(
        components::get_all(&url, &token, &ca).await,
        "components get_all",
    );
    let ids: Vec<String> = all
        .components
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| c.id)
        .collect();
    check(
        ids.iter().any(|i| i == n0) && ids.iter().any(|i| i == n1),
        "both nodes listed",
    );
    // ochami-rs reads this answer into a type whose keys are lower case (SMD's are not), so
    // only the call is checked here, not the fields.
    must(
        components::get_one(&url, &token, &ca, n1).await,
        "components get_one",
    );

    // Groups and memberships.
    use ochami_rs::hsm::group::http_client as groups;
    must(
        groups::post(&url, &token, &ca, Group::new("ors", Some(vec![n0]))).await,
        "groups post",
    );
    let g = must(
        groups::get_one(&url, &token, &ca, "ors").await,
        "groups get_one",
    );
    check(
        g.members.and_then(|m| m.ids) == Some(vec![n0.to_string()]),
        "group ors holds x1000c0s0b0n0",
    );
    let listed = must(groups::get_all(&url, &token, &ca).await, "groups get_all");
    check(listed.iter().any(|g| g.label == "ors"), "group ors listed");
    let members = must(
        groups::get_members(&url, &token, &ca, "ors").await,
        "groups get_members",
    );
    check(members.ids == Some(vec![n0.to_string()]), "members of ors");
    use ochami_rs::hsm::memberships::http_client as memberships;
    let m = must(
        memberships::get_xname(&token, &url, &ca, n0).await,
        "memberships get_xname (under /smd/hsm/v2)",
    );
    let shown = format!("{m:?}");
    check(
        shown.contains("ors"),
        "x1000c0s0b0n0's membership names ors",
    );

    // Boot parameters.
    use ochami_rs::bss::http_client as bss;
    let bp = BootParameters {
        hosts: vec![n1.to_string()],
        macs: None,
        nids: None,
        params: "console=ttyS0".into(),
        kernel: "http://10.0.0.1/vmlinuz".into(),
        initrd: "http://10.0.0.1/initrd".into(),
        cloud_init: None,
    };
    must(bss::post(&url, &token, &ca, bp).await, "bss post");
    let all = must(bss::get_all(&url, &token, &ca).await, "bss get_all");
    check(
        all.iter()
            .any(|b| b.hosts.iter().any(|h| h == n1) && b.kernel == "http://10.0.0.1/vmlinuz"),
        "x1000c0s1b0n0's boot parameters read back",
    );

    // Power: a transition on a node with no BMC is accepted and its task fails, as PCS.
    use ochami_rs::pcs::transitions::http_client as transitions;
    let t = must(
        transitions::post(&url, &token, &ca, "on", &vec![n1.to_string()]).await,
        "transitions post (the whole record back)",
    );
    check(!t.transition_id.is_empty(), "a transition ID");
    let again = must(
        transitions::get_by_id(&token, &url, &ca, &t.transition_id).await,
        "transitions get_by_id",
    );
    check(
        again.transition_id == t.transition_id,
        "the same transition read back",
    );
    use ochami_rs::pcs::power_status::http_client as power_status;
    let status = must(
        power_status::post(&url, &token, &ca, Some(&[n1]), None, None).await,
        "power-status post",
    );
    check(
        status.status.len() == 1 && status.status[0].xname == n1,
        "x1000c0s1b0n0's power status",
    );
    println!("ochami-rs drove chami: inventory, groups, memberships, boot, power");
}
