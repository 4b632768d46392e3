DROP TABLE building_report_events;
DROP FUNCTION building_report_events_append_only();
DROP TABLE building_reports;
