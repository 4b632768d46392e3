-- Building reports (楼栋上报): an everyday problem a resident reports for a building, and
-- the append-only history of what its building lead (楼栋长) did about it.
-- Times are Unix seconds (UTC).
CREATE TABLE building_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id BIGINT NOT NULL REFERENCES communities (id),
    building_id BIGINT NOT NULL,
    reporter_id BIGINT NOT NULL REFERENCES users (id),
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    location TEXT NOT NULL,
    status TEXT NOT NULL,
    assignee TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (community_id, building_id) REFERENCES buildings (community_id, id)
);
CREATE INDEX building_reports_queue ON building_reports (community_id, building_id, status);
CREATE INDEX building_reports_reporter ON building_reports (reporter_id, id);

CREATE TABLE building_report_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id BIGINT NOT NULL REFERENCES building_reports (id),
    actor_id BIGINT NOT NULL REFERENCES users (id),
    action TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX building_report_events_report ON building_report_events (report_id, id);
CREATE TRIGGER building_report_events_no_update BEFORE UPDATE ON building_report_events
BEGIN SELECT RAISE(ABORT, 'building_report_events is append-only'); END;
CREATE TRIGGER building_report_events_no_delete BEFORE DELETE ON building_report_events
BEGIN SELECT RAISE(ABORT, 'building_report_events is append-only'); END;
