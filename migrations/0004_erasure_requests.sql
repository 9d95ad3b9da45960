CREATE TABLE `erasure_requests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`institution_id` integer NOT NULL,
	`student_id` integer NOT NULL,
	`requested_at` integer NOT NULL,
	`records_erased_at` integer,
	`templates_erased_at` integer,
	FOREIGN KEY (`institution_id`) REFERENCES `institutions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `erasure_requests_pending` ON `erasure_requests` (`templates_erased_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `erasure_requests_student` ON `erasure_requests` (`institution_id`,`student_id`);