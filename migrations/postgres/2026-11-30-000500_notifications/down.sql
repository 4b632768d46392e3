DROP TABLE notification_kinds;
DROP TABLE notification_prefs;
DROP TABLE notifications;
