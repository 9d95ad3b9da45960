ALTER TABLE `exams` ADD `security_level` text;--> statement-breakpoint
ALTER TABLE `institutions` ADD `security_level` text DEFAULT 'high' NOT NULL;