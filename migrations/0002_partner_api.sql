CREATE TABLE `partner_callback_outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`institution_id` integer NOT NULL,
	`exam_id` integer NOT NULL,
	`enrolment_id` integer NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`locked_until` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`delivered_at` integer,
	`failed_at` integer,
	FOREIGN KEY (`institution_id`) REFERENCES `institutions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `partner_callback_outbox_due` ON `partner_callback_outbox` (`delivered_at`,`failed_at`,`next_attempt_at`);--> statement-breakpoint
ALTER TABLE `enrolments` ADD `external_id` text;--> statement-breakpoint
ALTER TABLE `enrolments` ADD `display_name` text;--> statement-breakpoint
ALTER TABLE `enrolments` ADD `individual_info` text;--> statement-breakpoint
ALTER TABLE `enrolments` ADD `is_individual_info_html` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `enrolments` ADD `skip_requirements` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `enrolments` ADD `send_confirmation` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `enrolments` ADD `open_time` integer;--> statement-breakpoint
ALTER TABLE `enrolments` ADD `partner_status` text DEFAULT 'registered' NOT NULL;--> statement-breakpoint
ALTER TABLE `enrolments` ADD `updated_at` integer;--> statement-breakpoint
ALTER TABLE `exams` ADD `partner_status` text;--> statement-breakpoint
ALTER TABLE `exams` ADD `partner_type` text;--> statement-breakpoint
ALTER TABLE `exams` ADD `ends_at` integer;