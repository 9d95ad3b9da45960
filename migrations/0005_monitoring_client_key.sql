ALTER TABLE `monitoring_events` ADD `client_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `monitoring_events_client_key` ON `monitoring_events` (`student_id`,`client_key`);