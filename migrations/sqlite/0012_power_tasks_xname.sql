-- A new transition looks up open tasks by node.
CREATE INDEX power_tasks_xname ON power_tasks (xname);
