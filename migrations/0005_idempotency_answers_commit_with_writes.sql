-- Keys left `running` (their answer was never stored) and error answers are no longer kept:
-- a request that wrote nothing leaves no key, so its retry runs again.
DELETE FROM "idempotency_keys" WHERE "state" = 'running' OR "response_status" IS NULL OR "response_status" >= 400;--> statement-breakpoint
ALTER TABLE "idempotency_keys" DROP CONSTRAINT "idempotency_keys_state_check";--> statement-breakpoint
UPDATE "idempotency_keys" SET "response_headers" = '{}'::jsonb WHERE "response_headers" IS NULL;--> statement-breakpoint
UPDATE "idempotency_keys" SET "response_body" = '' WHERE "response_body" IS NULL;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ALTER COLUMN "response_status" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ALTER COLUMN "response_headers" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ALTER COLUMN "response_body" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "idempotency_keys" DROP COLUMN "state";
