-- SMD's Defaults/NodeMaps: a node's default NID, Role and SubRole ('' for none), applied when
-- the node is created without them; NodeInfo is free-form JSON text ('' for none).
CREATE TABLE node_maps (
    id        TEXT PRIMARY KEY NOT NULL,
    nid       BIGINT NOT NULL UNIQUE,
    role      TEXT NOT NULL DEFAULT '',
    sub_role  TEXT NOT NULL DEFAULT '',
    node_info TEXT NOT NULL DEFAULT ''
);

-- SMD's sysinfo/powermaps: what powers a component, a JSON array of xnames.
CREATE TABLE power_maps (
    id         TEXT PRIMARY KEY NOT NULL,
    powered_by TEXT NOT NULL
);
