-- The three TRUSTID partner institutions. Institutions are data: add more rows, not code.
INSERT INTO `institutions` (`code`, `name`) VALUES ('UC', 'UC') ON CONFLICT(`code`) DO NOTHING;--> statement-breakpoint
INSERT INTO `institutions` (`code`, `name`) VALUES ('UCY', 'University of Cyprus') ON CONFLICT(`code`) DO NOTHING;--> statement-breakpoint
INSERT INTO `institutions` (`code`, `name`) VALUES ('UPAT', 'University of Patras') ON CONFLICT(`code`) DO NOTHING;
