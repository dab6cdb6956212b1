CREATE TABLE "attribution_terms" (
	"term" text NOT NULL,
	"weight" smallint NOT NULL,
	"attribution_id" uuid NOT NULL,
	CONSTRAINT "attribution_terms_term_weight_attribution_id_pk" PRIMARY KEY("term","weight","attribution_id")
);
--> statement-breakpoint
CREATE TABLE "claim_terms" (
	"term" text NOT NULL,
	"weight" smallint NOT NULL,
	"claim_id" uuid NOT NULL,
	CONSTRAINT "claim_terms_term_weight_claim_id_pk" PRIMARY KEY("term","weight","claim_id")
);
--> statement-breakpoint
CREATE TABLE "search_term_deltas" (
	"list" text NOT NULL,
	"term" text NOT NULL,
	"delta" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "search_term_stats" (
	"list" text NOT NULL,
	"term" text NOT NULL,
	"df" integer NOT NULL,
	CONSTRAINT "search_term_stats_list_term_pk" PRIMARY KEY("list","term")
);
--> statement-breakpoint
CREATE TABLE "source_terms" (
	"term" text NOT NULL,
	"weight" smallint NOT NULL,
	"source_id" uuid NOT NULL,
	CONSTRAINT "source_terms_term_weight_source_id_pk" PRIMARY KEY("term","weight","source_id")
);
--> statement-breakpoint
CREATE INDEX "search_term_deltas_term_idx" ON "search_term_deltas" USING btree ("list","term");