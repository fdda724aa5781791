-- Change counters for caches. Triggers bump them inside the writing transaction, in whichever
-- process writes, so a process can tell with one read whether what it cached still holds:
-- `config` for the settings and the connections' names and tokens, `directory` for employees,
-- groups and memberships.
CREATE TABLE generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    config     INTEGER NOT NULL,
    directory  INTEGER NOT NULL
);
INSERT INTO generation (id, config, directory) VALUES (1, 0, 0);

CREATE TRIGGER settings_ins AFTER INSERT ON settings BEGIN UPDATE generation SET config = config + 1; END;
CREATE TRIGGER settings_upd AFTER UPDATE ON settings BEGIN UPDATE generation SET config = config + 1; END;
CREATE TRIGGER settings_del AFTER DELETE ON settings BEGIN UPDATE generation SET config = config + 1; END;
CREATE TRIGGER connections_ins AFTER INSERT ON connections BEGIN UPDATE generation SET config = config + 1; END;
CREATE TRIGGER connections_upd AFTER UPDATE OF id, name, token_sha256 ON connections BEGIN UPDATE generation SET config = config + 1; END;
CREATE TRIGGER connections_del AFTER DELETE ON connections BEGIN UPDATE generation SET config = config + 1; END;

CREATE TRIGGER employees_ins AFTER INSERT ON employees BEGIN UPDATE generation SET directory = directory + 1; END;
CREATE TRIGGER employees_upd AFTER UPDATE ON employees BEGIN UPDATE generation SET directory = directory + 1; END;
CREATE TRIGGER employees_del AFTER DELETE ON employees BEGIN UPDATE generation SET directory = directory + 1; END;
CREATE TRIGGER groups_ins AFTER INSERT ON groups BEGIN UPDATE generation SET directory = directory + 1; END;
CREATE TRIGGER groups_upd AFTER UPDATE ON groups BEGIN UPDATE generation SET directory = directory + 1; END;
CREATE TRIGGER groups_del AFTER DELETE ON groups BEGIN UPDATE generation SET directory = directory + 1; END;
CREATE TRIGGER group_members_ins AFTER INSERT ON group_members BEGIN UPDATE generation SET directory = directory + 1; END;
CREATE TRIGGER group_members_del AFTER DELETE ON group_members BEGIN UPDATE generation SET directory = directory + 1; END;
CREATE TRIGGER group_members_upd AFTER UPDATE ON group_members BEGIN UPDATE generation SET directory = directory + 1; END;

-- The current employees in list order, small enough to count and to skip through quickly
-- (`COUNT(*)`, and the first row of a page far into the directory).
CREATE INDEX employees_current ON employees(seq) WHERE status <> 'removed';
