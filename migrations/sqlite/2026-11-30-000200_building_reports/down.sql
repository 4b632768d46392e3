DROP TABLE building_report_events;
DROP TABLE building_reports;
