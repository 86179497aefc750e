-- BSS boot parameters: one row per entry (node xname, group label, role, Unknown-<arch> or
-- Default), and every version any write produced, for history and undo.
CREATE TABLE boot_params (
    name       TEXT PRIMARY KEY NOT NULL,
    params     TEXT NOT NULL DEFAULT '',
    kernel     TEXT NOT NULL DEFAULT '',
    initrd     TEXT NOT NULL DEFAULT '',
    cloud_init TEXT NOT NULL DEFAULT '{}',   -- JSON CloudInit
    token      TEXT NOT NULL DEFAULT '',     -- BSS referral token
    version    BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT ''
);

CREATE TABLE boot_history (
    name    TEXT NOT NULL,
    version BIGINT NOT NULL,
    op      TEXT NOT NULL,                   -- create, replace, update, delete, restore
    at      TEXT NOT NULL,
    by      TEXT NOT NULL DEFAULT '',
    data    TEXT,                            -- JSON BootData after the write; NULL for delete
    PRIMARY KEY (name, version)
);

CREATE INDEX boot_history_at ON boot_history (at);
