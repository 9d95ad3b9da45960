CREATE TABLE `decisions` (
	`id` text PRIMARY KEY NOT NULL,
	`institution_id` integer NOT NULL,
	`student_id` integer NOT NULL,
	`exam_id` integer,
	`modality` text NOT NULL,
	`action` text NOT NULL,
	`endpoint` text NOT NULL,
	`outcome` text NOT NULL,
	`reason` text,
	`score` real,
	`threshold` real,
	`decide_on` text,
	`security_level` text,
	`model_id` text,
	`model_sha256` text,
	`template_version` integer,
	`quality` text,
	`alerts_raised` text,
	`client_os` text,
	`client_device` text,
	`request_id` text,
	`created_at` integer NOT NULL,
	`contest_text` text,
	`contested_at` integer,
	`resolution` text,
	`resolution_reason` text,
	`resolved_by` integer,
	`resolved_at` integer,
	FOREIGN KEY (`institution_id`) REFERENCES `institutions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `decisions_student` ON `decisions` (`institution_id`,`student_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `decisions_exam` ON `decisions` (`institution_id`,`exam_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `decisions_contested` ON `decisions` (`institution_id`,`exam_id`,`contested_at`);--> statement-breakpoint
CREATE INDEX `decisions_created` ON `decisions` (`created_at`);