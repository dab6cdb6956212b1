-- Extensions must exist before any table or index that uses them.
-- pg_trgm and unaccent serve claimant lookup and claim matching.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS unaccent;
