ALTER TABLE `institutions` ADD `time_zone` text DEFAULT 'UTC' NOT NULL;--> statement-breakpoint
-- The seeded institutions whose zone is known; others stay UTC until an operator sets theirs.
UPDATE `institutions` SET `time_zone` = 'Asia/Nicosia' WHERE `code` = 'UCY';--> statement-breakpoint
UPDATE `institutions` SET `time_zone` = 'Europe/Athens' WHERE `code` = 'UPAT';