ALTER TABLE `refresh_token_families` ADD `rotated_at` integer;--> statement-breakpoint
ALTER TABLE `refresh_tokens` ADD `parent_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `refresh_tokens_parent` ON `refresh_tokens` (`parent_id`);--> statement-breakpoint
-- Logins made before this migration: their rotated tokens have no parent_id and could pass for login
-- tokens, so they keep strict reuse detection (as before this migration).
UPDATE `refresh_token_families` SET `rotated_at` = `created_at` WHERE `rotated_at` IS NULL;
