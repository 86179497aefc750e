//! Redfish endpoints: SMD's rules, magellan's nested description, and BMC passwords sealed at
//! rest. A password enters here, is sealed before it reaches the store, and leaves only through
//! [`Endpoints::credentials`] for the code that talks to BMCs.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::events::{Event, EventBus};
use super::inventory::is_at_or_below;
use super::maps::apply_defaults;
use super::scn::Scn;
use super::secrets::SecretBox;
use super::ServiceError;
use crate::model::component::{Component, ComponentChange};
use crate::model::discovery::{describe, ComponentEndpoint, Described, Hardware, ServiceEndpoint};
use crate::model::enums::{Class, Flag, State};
use crate::model::ethernet::now_rfc3339;
use crate::model::redfish::{EndpointFilter, EndpointInput, EndpointPatch, RedfishEndpoint};
use crate::model::scn::ScnPayload;
use crate::model::xname::{HmsType, Xname};
use crate::store::{ComponentEndpointFilter, EndpointWrite, PasswordWrite, Store};

/// Redfish endpoint operations.
#[derive(Clone)]
pub struct Endpoints {
    store: Arc<dyn Store>,
    bus: EventBus,
    secrets: Arc<SecretBox>,
    scn: Scn,
}

/// A BMC's user name and password, opened for a Redfish call.
pub struct Credentials {
    /// User name.
    pub user: String,
    /// Password (empty when none is stored).
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Credentials {{ user: {:?}, password: <hidden> }}",
            self.user
        )
    }
}

fn bad(e: crate::model::component::InputError) -> ServiceError {
    ServiceError::BadRequest(e.0)
}

fn no_such(id: &Xname) -> ServiceError {
    ServiceError::NotFound(format!("no such Redfish endpoint: {id}"))
}

impl Endpoints {
    /// Endpoints over a store, sealing passwords with `secrets`, publishing on `bus`.
    pub fn new(
        store: Arc<dyn Store>,
        bus: EventBus,
        secrets: Arc<SecretBox>,
        scn: Scn,
    ) -> Endpoints {
        Endpoints {
            store,
            bus,
            secrets,
            scn,
        }
    }

    /// Checks one body and prepares its write.
    async fn prepare(
        &self,
        input: &EndpointInput,
        now: &str,
    ) -> Result<EndpointWrite, ServiceError> {
        let (endpoint, password) = input.validate().map_err(bad)?;
        let password = match password {
            None => PasswordWrite::Keep,
            Some(p) => PasswordWrite::Set(
                self.secrets
                    .seal(&p, endpoint.id.as_str())
                    .map_err(|e| ServiceError::Internal(e.to_string()))?,
            ),
        };
        let mut described = if input.describes_hardware() {
            describe(&endpoint, &input.systems, &input.managers, now).map_err(|e| {
                ServiceError::BadRequest(format!("endpoint {}: {}", endpoint.id, e.0))
            })?
        } else {
            Described::default()
        };
        apply_defaults(self.store.as_ref(), &mut described.components).await?;
        self.classify(&mut described.components).await?;
        Ok(EndpointWrite {
            endpoint,
            password,
            described,
        })
    }

    /// SMD's Class for what discovery describes: Mountain inside a chassis that has a
    /// ChassisBMC endpoint (`x..c<n>b0`), River otherwise.
    async fn classify(&self, components: &mut [Component]) -> Result<(), ServiceError> {
        let mut mountain: HashMap<Xname, bool> = HashMap::new();
        for c in components.iter_mut().filter(|c| c.class.is_none()) {
            let chassis = std::iter::once(c.id.clone())
                .chain(c.id.ancestors())
                .find(|x| x.kind() == HmsType::Chassis);
            let is_mountain = match chassis {
                None => false,
                Some(ch) => match mountain.get(&ch) {
                    Some(m) => *m,
                    None => {
                        let bmc = Xname::parse(&format!("{ch}b0"))
                            .map_err(|e| ServiceError::Internal(e.to_string()))?;
                        let m = self.store.endpoint(&bmc).await?.is_some();
                        mountain.insert(ch, m);
                        m
                    }
                },
            };
            c.class = Some(if is_mountain {
                Class::Mountain
            } else {
                Class::River
            });
        }
        Ok(())
    }

    fn published(&self, writes: &[EndpointWrite], created: Vec<Xname>) {
        for w in writes {
            self.bus.publish(Event::EndpointChanged {
                id: w.endpoint.id.to_string(),
                deleted: false,
            });
        }
        if !created.is_empty() {
            let described: Vec<Component> = writes
                .iter()
                .flat_map(|w| w.described.components.iter().cloned())
                .collect();
            self.scn
                .notify_all(ScnPayload::of_states(&described, &created));
            self.bus.publish(Event::ComponentsChanged { ids: created });
        }
    }

    /// Creates endpoints, all or nothing; returns their xnames.
    pub async fn create(&self, inputs: Vec<EndpointInput>) -> Result<Vec<Xname>, ServiceError> {
        if inputs.is_empty() {
            return Err(ServiceError::BadRequest(
                "no Redfish endpoints in the body".into(),
            ));
        }
        let now = now_rfc3339();
        let mut writes = Vec::with_capacity(inputs.len());
        for (i, input) in inputs.iter().enumerate() {
            let write = self.prepare(input, &now).await.map_err(|e| match e {
                ServiceError::BadRequest(m) if inputs.len() > 1 => {
                    ServiceError::BadRequest(format!("RedfishEndpoints[{i}]: {m}"))
                }
                other => other,
            })?;
            writes.push(write);
        }
        let mut ids = HashSet::new();
        let mut fqdns = HashSet::new();
        for w in &writes {
            if !ids.insert(w.endpoint.id.clone()) {
                return Err(ServiceError::BadRequest(format!(
                    "endpoint {} appears more than once in the request",
                    w.endpoint.id
                )));
            }
            if !fqdns.insert(w.endpoint.fqdn.to_ascii_lowercase()) {
                return Err(ServiceError::BadRequest(format!(
                    "FQDN {} appears more than once in the request",
                    w.endpoint.fqdn
                )));
            }
        }
        let created = self.store.write_endpoints(&writes, false).await?;
        let out = writes.iter().map(|w| w.endpoint.id.clone()).collect();
        self.published(&writes, created);
        Ok(out)
    }

    /// Creates or overwrites the endpoint at `id` (PUT; magellan's `--force-update`). An
    /// absent Password keeps the stored one.
    pub async fn replace(
        &self,
        id: &Xname,
        mut input: EndpointInput,
    ) -> Result<RedfishEndpoint, ServiceError> {
        match input.id.as_deref().filter(|s| !s.trim().is_empty()) {
            None => input.id = Some(id.to_string()),
            Some(given) if Xname::parse(given).is_ok_and(|g| &g == id) => {}
            Some(given) => {
                return Err(ServiceError::BadRequest(format!(
                    "ID in URL ({id}) and body ({given}) do not match"
                )))
            }
        }
        let write = self.prepare(&input, &now_rfc3339()).await?;
        let writes = std::slice::from_ref(&write);
        let created = self.store.write_endpoints(writes, true).await?;
        self.published(writes, created);
        Ok(write.endpoint)
    }

    /// Changes the given fields of an endpoint (PATCH).
    pub async fn patch(
        &self,
        id: &Xname,
        patch: EndpointPatch,
    ) -> Result<RedfishEndpoint, ServiceError> {
        let current = self.get(id).await?;
        if let Some(given) = patch.id.as_deref().filter(|s| !s.trim().is_empty()) {
            if !Xname::parse(given).is_ok_and(|g| &g == id) {
                return Err(ServiceError::BadRequest(format!(
                    "ID in URL ({id}) and body ({given}) do not match; an endpoint's ID cannot change"
                )));
            }
        }
        let mut write = self.prepare(&patch.over(&current), &now_rfc3339()).await?;
        write.endpoint.discovery = current.discovery;
        let writes = std::slice::from_ref(&write);
        self.store.write_endpoints(writes, true).await?;
        self.published(writes, Vec::new());
        Ok(write.endpoint)
    }

    /// Endpoints matching `filter`.
    pub async fn list(
        &self,
        filter: &EndpointFilter,
    ) -> Result<Vec<RedfishEndpoint>, ServiceError> {
        Ok(self.store.endpoints(filter).await?)
    }

    /// Endpoints at or below `root` (`s0` or `all`: every one).
    pub async fn list_below(&self, root: &str) -> Result<Vec<RedfishEndpoint>, ServiceError> {
        let all = self.store.endpoints(&EndpointFilter::default()).await?;
        if root.eq_ignore_ascii_case("s0") || root.eq_ignore_ascii_case("all") {
            return Ok(all);
        }
        let root = Xname::parse(root).map_err(|e| ServiceError::BadRequest(e.to_string()))?;
        Ok(all
            .into_iter()
            .filter(|ep| is_at_or_below(&ep.id, &root))
            .collect())
    }

    /// One endpoint.
    pub async fn get(&self, id: &Xname) -> Result<RedfishEndpoint, ServiceError> {
        self.store.endpoint(id).await?.ok_or_else(|| no_such(id))
    }

    /// The endpoint's user and opened password, for talking to the BMC.
    pub async fn credentials(&self, id: &Xname) -> Result<Credentials, ServiceError> {
        let ep = self.get(id).await?;
        let mut all = self.credentials_of(std::slice::from_ref(&ep)).await?;
        all.remove(id).unwrap_or_else(|| {
            Err(ServiceError::Internal(format!(
                "endpoint {id}: no credentials"
            )))
        })
    }

    /// The user and opened password of each endpoint, read in one query.
    pub async fn credentials_of(
        &self,
        eps: &[RedfishEndpoint],
    ) -> Result<HashMap<Xname, Result<Credentials, ServiceError>>, ServiceError> {
        let ids: Vec<Xname> = eps.iter().map(|e| e.id.clone()).collect();
        let sealed: HashMap<Xname, String> = self
            .store
            .endpoint_passwords(&ids)
            .await?
            .into_iter()
            .collect();
        Ok(eps
            .iter()
            .map(|ep| {
                let password = match sealed.get(&ep.id) {
                    None => Ok(String::new()),
                    Some(s) => self
                        .secrets
                        .open(s, ep.id.as_str())
                        .map_err(|e| ServiceError::Internal(format!("endpoint {}: {e}", ep.id))),
                };
                let creds = password.map(|password| Credentials {
                    user: ep.user.clone(),
                    password,
                });
                (ep.id.clone(), creds)
            })
            .collect())
    }

    /// Records a discovery outcome on an endpoint.
    pub async fn set_discovery(
        &self,
        id: &Xname,
        info: &crate::model::redfish::DiscoveryInfo,
    ) -> Result<(), ServiceError> {
        if !self.store.set_discovery(id, info).await? {
            return Err(no_such(id));
        }
        self.bus.publish(Event::EndpointChanged {
            id: id.to_string(),
            deleted: false,
        });
        Ok(())
    }

    /// Deletes an endpoint and its component and service endpoints; its components stay.
    pub async fn delete(&self, id: &Xname) -> Result<(), ServiceError> {
        if !self.store.delete_endpoint(id).await? {
            return Err(no_such(id));
        }
        self.bus.publish(Event::EndpointChanged {
            id: id.to_string(),
            deleted: true,
        });
        Ok(())
    }

    /// Deletes every endpoint; NotFound when there were none (as SMD answers).
    pub async fn delete_all(&self) -> Result<u64, ServiceError> {
        let n = self.store.delete_all_endpoints().await?;
        if n == 0 {
            return Err(ServiceError::NotFound("no entries to delete".into()));
        }
        self.bus.publish(Event::EndpointChanged {
            id: String::new(),
            deleted: true,
        });
        Ok(n)
    }

    /// Component endpoints matching `filter`.
    pub async fn component_endpoints(
        &self,
        filter: &ComponentEndpointFilter,
    ) -> Result<Vec<ComponentEndpoint>, ServiceError> {
        Ok(self.store.component_endpoints(filter).await?)
    }

    /// Deletes the component endpoint `id` (every one when `None`), undoing its discovery:
    /// the component becomes Empty, as SMD does. Returns how many were deleted; none is
    /// NotFound, as SMD answers.
    pub async fn delete_component_endpoints(
        &self,
        id: Option<&Xname>,
    ) -> Result<u64, ServiceError> {
        let ids = id.map(std::slice::from_ref);
        let (n, emptied) = self.store.delete_component_endpoints(ids).await?;
        if n == 0 {
            return Err(match id {
                Some(id) => no_such(id),
                None => ServiceError::NotFound("no entries to delete".into()),
            });
        }
        if !emptied.is_empty() {
            let empty = ComponentChange::State {
                state: State::Empty,
                flag: Flag::Ok,
            };
            if let Some(p) = ScnPayload::of_change(&emptied, &empty) {
                self.scn.notify(p);
            }
            self.bus.publish(Event::ComponentsChanged { ids: emptied });
        }
        Ok(n)
    }

    /// Records the services discovery found on `endpoint`, replacing those it had.
    pub async fn record_services(
        &self,
        endpoint: &Xname,
        services: &[ServiceEndpoint],
    ) -> Result<(), ServiceError> {
        Ok(self.store.put_service_endpoints(endpoint, services).await?)
    }

    /// Deletes the `service` service endpoint of `endpoint` (every service endpoint when
    /// `None`); returns how many were deleted; none is NotFound, as SMD answers.
    pub async fn delete_service_endpoints(
        &self,
        which: Option<(&Xname, &str)>,
    ) -> Result<u64, ServiceError> {
        let n = self.store.delete_service_endpoints(which).await?;
        if n == 0 {
            return Err(ServiceError::NotFound(match which {
                Some((endpoint, service)) => {
                    format!("no such service under redfish endpoint: no {service} on {endpoint}")
                }
                None => "no entries to delete".into(),
            }));
        }
        Ok(n)
    }

    /// Service endpoints of the given endpoints and Redfish types (all when empty).
    pub async fn service_endpoints(
        &self,
        endpoints: &[Xname],
        redfish_types: &[String],
    ) -> Result<Vec<ServiceEndpoint>, ServiceError> {
        Ok(self
            .store
            .service_endpoints(endpoints, redfish_types)
            .await?)
    }

    /// Hardware at the given locations (all when empty).
    pub async fn hardware(&self, ids: &[Xname]) -> Result<Vec<Hardware>, ServiceError> {
        Ok(self.store.hardware(ids).await?)
    }
}
