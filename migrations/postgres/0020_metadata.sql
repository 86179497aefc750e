-- Cloud-init data (metadata-service): the cluster defaults (kind 'defaults', name ''), groups
-- (kind 'group', by name) and per-node instance info (kind 'instance', by xname), as JSON.
CREATE TABLE metadata_docs (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    doc  TEXT NOT NULL,
    PRIMARY KEY (kind, name)
);
