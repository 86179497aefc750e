-- What each node's task was sending its BMC (plan|step|action|phase), written before every
-- reset, so a core taking the transition over neither repeats nor skips a node's reset.
ALTER TABLE power_tasks ADD COLUMN step TEXT NOT NULL DEFAULT '';
