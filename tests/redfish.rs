//! The Redfish client against the simulated BMC fleet: discovery reads, resets with power
//! polling, sessions, connection reuse, and every injected fault giving a named error.

use std::sync::Arc;
use std::time::Duration;

use chami::redfish::client::{Endpoint, ErrorKind, PowerState, RedfishClient};
use chami::sim::{Faults, Fleet, SimConfig};

async fn fleet() -> Fleet {
    Fleet::start(SimConfig {
        bmcs: 4,
        nodes_per_bmc: 2,
        power_delay: Duration::from_millis(100),
        ..SimConfig::default()
    })
    .await
    .expect("fleet starts")
}

fn endpoint(f: &Fleet, i: u32) -> Endpoint {
    let (user, pass) = f.credentials();
    let mut ep = Endpoint::new(&f.url(i), user, pass);
    ep.ca_pem = Some(Arc::new(f.ca_pem().into_bytes()));
    ep.timeout = Duration::from_secs(2);
    ep
}

#[tokio::test]
async fn discovery_reads_and_power_changes() {
    let f = fleet().await;
    let c = RedfishClient::new();
    let ep = endpoint(&f, 2);
    let root = c.service_root(&ep).await.expect("service root");
    assert_eq!(root["Systems"]["@odata.id"], "/redfish/v1/Systems");
    let systems = c.members(&ep, "/redfish/v1/Systems").await.unwrap();
    assert_eq!(
        systems,
        ["/redfish/v1/Systems/Node0", "/redfish/v1/Systems/Node1"]
    );
    let sys = c.get(&ep, &systems[1]).await.unwrap();
    let target = sys["Actions"]["#ComputerSystem.Reset"]["target"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(sys["PowerState"], "Off");
    let nic = c
        .get(&ep, "/redfish/v1/Systems/Node1/EthernetInterfaces/1")
        .await
        .unwrap();
    assert_eq!(
        nic["MACAddress"], "02:5e:01:00:00:05",
        "BMC 2, node 1 is node 5"
    );
    let mgr_nic = c
        .get(&ep, "/redfish/v1/Managers/BMC/EthernetInterfaces/1")
        .await
        .unwrap();
    assert_eq!(mgr_nic["IPv4Addresses"][0]["Address"], "127.10.0.3");

    // On takes the configured delay to show; the client polls until it does.
    c.reset(&ep, &target, "On").await.unwrap();
    assert_eq!(
        c.power_state(&ep, &systems[1]).await.unwrap(),
        PowerState::Off
    );
    c.wait_for_power(
        &ep,
        &systems[1],
        PowerState::On,
        Duration::from_millis(20),
        Duration::from_secs(3),
    )
    .await
    .unwrap();
    // A restart is off at once, then on.
    c.reset(&ep, &target, "ForceRestart").await.unwrap();
    assert_eq!(
        c.power_state(&ep, &systems[1]).await.unwrap(),
        PowerState::Off
    );
    c.wait_for_power(
        &ep,
        &systems[1],
        PowerState::On,
        Duration::from_millis(20),
        Duration::from_secs(3),
    )
    .await
    .unwrap();
    c.reset(&ep, &target, "ForceOff").await.unwrap();
    assert_eq!(
        c.power_state(&ep, &systems[1]).await.unwrap(),
        PowerState::Off
    );
    let bmc = f.bmc(2).unwrap();
    assert_eq!(bmc.resets("Node1"), ["On", "ForceRestart", "ForceOff"]);
    assert_eq!(
        bmc.power("Node0"),
        Some("Off"),
        "the other node was not touched"
    );

    // A reset type the BMC does not offer is refused with its message.
    let err = c.reset(&ep, &target, "Nmi").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Status(400));
    assert!(err.message.contains("ResetType Nmi is not one of"), "{err}");
    assert!(!err.is_transient());

    // Every call reused one connection.
    assert_eq!(bmc.connections(), 1, "requests: {}", bmc.requests());
}

#[tokio::test]
async fn sessions_log_in_once() {
    let f = fleet().await;
    let c = RedfishClient::new();
    let mut ep = endpoint(&f, 0);
    ep.session = true;
    for _ in 0..3 {
        c.members(&ep, "/redfish/v1/Systems")
            .await
            .expect("with a session");
    }
    // 1 login + 3 reads.
    assert_eq!(f.bmc(0).unwrap().requests(), 4);
    ep.password = "wrong".into();
    let c2 = RedfishClient::new();
    let err = c2.members(&ep, "/redfish/v1/Systems").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Auth);
    assert!(
        err.message
            .contains("session login refused for user 'root'"),
        "{err}"
    );
}

#[tokio::test]
async fn faults_give_named_errors() {
    let f = fleet().await;
    let c = RedfishClient::new();

    f.bmc(0).unwrap().set_faults(Faults {
        hang: true,
        ..Faults::default()
    });
    let mut ep = endpoint(&f, 0);
    ep.timeout = Duration::from_millis(300);
    let err = c.members(&ep, "/redfish/v1/Systems").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout, "{err}");
    assert!(err.is_transient());
    assert!(err.url.starts_with(&f.url(0)), "{err}");

    f.bmc(1).unwrap().set_faults(Faults {
        error_500: true,
        ..Faults::default()
    });
    let err = c
        .members(&endpoint(&f, 1), "/redfish/v1/Systems")
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Status(500));
    assert!(err.message.contains("simulated failure"), "{err}");
    assert!(err.is_transient());

    f.bmc(2).unwrap().set_faults(Faults {
        reset: true,
        ..Faults::default()
    });
    let err = c
        .members(&endpoint(&f, 2), "/redfish/v1/Systems")
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::Connect | ErrorKind::Tls),
        "{err:?}"
    );

    f.bmc(3).unwrap().set_faults(Faults {
        wrong_credentials: true,
        ..Faults::default()
    });
    let err = c
        .members(&endpoint(&f, 3), "/redfish/v1/Systems")
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Auth);
    assert!(
        err.message
            .contains("refused the credentials of user 'root'"),
        "{err}"
    );
    assert!(!err.is_transient());

    // Latency is only latency.
    f.bmc(3).unwrap().set_faults(Faults {
        latency: Duration::from_millis(50),
        ..Faults::default()
    });
    c.members(&endpoint(&f, 3), "/redfish/v1/Systems")
        .await
        .expect("slow but fine");
}

#[tokio::test]
async fn certificates_are_checked_unless_insecure() {
    let f = fleet().await;
    let c = RedfishClient::new();
    let (user, pass) = f.credentials();
    let mut ep = Endpoint::new(&f.url(1), user, pass);
    ep.timeout = Duration::from_secs(2);
    let err = c.service_root(&ep).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Tls, "{err:?}");
    ep.insecure = true;
    c.service_root(&ep)
        .await
        .expect("insecure accepts the sim's certificate");
    // An address that is not a fleet BMC is closed at once.
    let mut stray = Endpoint::new(&format!("https://127.0.0.1:{}", f.port), user, pass);
    stray.insecure = true;
    stray.timeout = Duration::from_secs(2);
    let err = c.service_root(&stray).await.unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::Connect | ErrorKind::Tls),
        "{err:?}"
    );
}
