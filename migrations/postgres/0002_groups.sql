-- SMD groups and partitions. A member must be a component; deleting the component, the group
-- or the partition removes the membership.
CREATE TABLE groups (
    label           TEXT PRIMARY KEY NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    tags            TEXT NOT NULL DEFAULT '[]',   -- JSON array of lowercase tags
    exclusive_group TEXT NOT NULL DEFAULT ''      -- '' when not exclusive
);

CREATE TABLE group_members (
    label        TEXT NOT NULL REFERENCES groups (label) ON DELETE CASCADE,
    component_id TEXT NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    -- The group's exclusive label, NULL when not exclusive: at most one group per exclusive
    -- label holds a given component.
    exclusive_group TEXT,
    PRIMARY KEY (label, component_id)
);

CREATE UNIQUE INDEX group_members_exclusive
    ON group_members (exclusive_group, component_id) WHERE exclusive_group IS NOT NULL;
CREATE INDEX group_members_component ON group_members (component_id);

CREATE TABLE partitions (
    name        TEXT PRIMARY KEY NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    tags        TEXT NOT NULL DEFAULT '[]'
);

-- The primary key keeps a component in at most one partition.
CREATE TABLE partition_members (
    component_id TEXT PRIMARY KEY NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    name         TEXT NOT NULL REFERENCES partitions (name) ON DELETE CASCADE
);

CREATE INDEX partition_members_name ON partition_members (name);
