CREATE TABLE `wallet_exports` (
	`id` text PRIMARY KEY NOT NULL,
	`institution_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`biometric_type` text NOT NULL,
	`model_id` text NOT NULL,
	`template_version` integer NOT NULL,
	`sealed` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`push_token` text,
	`push_status` text NOT NULL,
	`push_ticket_id` text,
	`push_error` text,
	`push_attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`push_updated_at` integer,
	`fetched_at` integer,
	`returned_at` integer,
	FOREIGN KEY (`institution_id`) REFERENCES `institutions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `wallet_exports_user` ON `wallet_exports` (`user_id`,`biometric_type`,`created_at`);--> statement-breakpoint
CREATE INDEX `wallet_exports_due` ON `wallet_exports` (`push_status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `wallet_exports_token` ON `wallet_exports` (`push_token`);