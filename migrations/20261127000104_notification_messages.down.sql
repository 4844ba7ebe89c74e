DROP TABLE notifications.notifications;
