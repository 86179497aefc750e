-- SMD's SCN subscriptions: one per subscriber and URL; doc is the subscription's JSON.
CREATE TABLE scn_subscriptions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber TEXT NOT NULL,
    url        TEXT NOT NULL,
    doc        TEXT NOT NULL,
    UNIQUE (subscriber, url)
);
