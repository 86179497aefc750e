-- SMD component Ethernet interfaces. The owning component need not exist yet (discovery may
-- see a MAC first); when it is deleted, the interface stays but no longer names it.
CREATE TABLE eth_interfaces (
    id           TEXT PRIMARY KEY NOT NULL,   -- lowercase MAC hex, no separators
    description  TEXT NOT NULL DEFAULT '',
    mac_address  TEXT NOT NULL,
    ip_addresses TEXT NOT NULL DEFAULT '[]',  -- JSON [{"IPAddress", "Network"}]
    last_update  TEXT NOT NULL,
    component_id TEXT NOT NULL DEFAULT '',
    type         TEXT NOT NULL DEFAULT ''
);

CREATE INDEX eth_interfaces_component ON eth_interfaces (component_id);

CREATE FUNCTION components_delete_unlinks_interfaces() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE eth_interfaces SET component_id = '', type = '' WHERE component_id = OLD.id;
    RETURN OLD;
END;
$$;

CREATE TRIGGER components_delete_unlinks_interfaces AFTER DELETE ON components
    FOR EACH ROW EXECUTE FUNCTION components_delete_unlinks_interfaces();
