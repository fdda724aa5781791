-- Group membership at the size of a real company: a member is a user or a group of this
-- directory, and a group knows how many members it has, so that a change of a few members of a
-- large group neither reads nor counts all of them.

-- What a member is ('User' or 'Group'), so that its `$ref` and `type` come from the directory.
-- Members stored before ids were checked may name nothing here: their kind stays NULL.
ALTER TABLE group_members ADD COLUMN kind TEXT CHECK (kind IN ('User', 'Group'));
UPDATE group_members SET kind = 'User'
    WHERE member_id IN (SELECT id FROM employees WHERE status <> 'removed');
UPDATE group_members SET kind = 'Group'
    WHERE kind IS NULL AND member_id IN (SELECT id FROM groups);

ALTER TABLE groups ADD COLUMN member_count INTEGER NOT NULL DEFAULT 0;
UPDATE groups SET member_count = (SELECT COUNT(*) FROM group_members m WHERE m.group_seq = groups.seq);
