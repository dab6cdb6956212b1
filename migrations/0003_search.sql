ALTER TABLE "claimants" ADD COLUMN "lookup_names" text[] GENERATED ALWAYS AS (claimledger_fold_names("claimants"."name", "claimants"."aliases")) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "claimants" ADD COLUMN "lookup_key" text GENERATED ALWAYS AS (claimledger_claimant_key("claimants"."name", "claimants"."aliases")) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "search" "tsvector" GENERATED ALWAYS AS (to_tsvector('english'::regconfig, "claims"."text")) STORED NOT NULL;--> statement-breakpoint
CREATE INDEX "attributions_search_idx" ON "attributions" USING gin (to_tsvector('english'::regconfig, coalesce("quote", '')));--> statement-breakpoint
CREATE INDEX "claimants_lookup_key_idx" ON "claimants" USING gin ("lookup_key" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "claims_search_idx" ON "claims" USING gin ("search");--> statement-breakpoint
CREATE INDEX "sources_search_idx" ON "sources" USING gin (to_tsvector('english'::regconfig, "title" || ' ' || coalesce("publisher", '')));