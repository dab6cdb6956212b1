CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"secret_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"last4" text NOT NULL,
	"scopes" text[] NOT NULL,
	"expires_at" timestamp (3) with time zone,
	"revoked_at" timestamp (3) with time zone,
	"last_used_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "api_keys_scopes_check" CHECK ("api_keys"."scopes" <@ array['read','write','admin']::text[] and cardinality("api_keys"."scopes") > 0)
);
--> statement-breakpoint
CREATE TABLE "attributions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"claim_id" uuid NOT NULL,
	"source_id" uuid NOT NULL,
	"claimant_id" uuid,
	"claimant_label" text,
	"kind" text DEFAULT 'direct_quote' NOT NULL,
	"stance" text DEFAULT 'asserts' NOT NULL,
	"quote" text,
	"said_at" timestamp (3) with time zone,
	"selector" jsonb,
	"anchored" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "attributions_kind_check" CHECK (kind in ('direct_quote', 'paraphrase', 'reported', 'headline', 'other')),
	CONSTRAINT "attributions_stance_check" CHECK (stance in ('asserts', 'denies', 'questions', 'reports')),
	CONSTRAINT "attributions_who_check" CHECK ("attributions"."claimant_id" is not null or "attributions"."claimant_label" is not null),
	CONSTRAINT "attributions_anchored_check" CHECK ("attributions"."anchored" = ("attributions"."selector" is not null))
);
--> statement-breakpoint
CREATE TABLE "claimants" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text DEFAULT 'unknown' NOT NULL,
	"aliases" text[] DEFAULT '{}'::text[] NOT NULL,
	"description" text,
	"wikidata_id" text,
	"url" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "claimants_kind_check" CHECK (kind in ('person', 'organization', 'government', 'media', 'group', 'unknown')),
	CONSTRAINT "claimants_wikidata_id_check" CHECK ("claimants"."wikidata_id" ~ '^Q[1-9][0-9]*$')
);
--> statement-breakpoint
CREATE TABLE "claims" (
	"id" uuid PRIMARY KEY NOT NULL,
	"text" text NOT NULL,
	"language" text,
	"topics" text[] DEFAULT '{}'::text[] NOT NULL,
	"status" text DEFAULT 'unreviewed' NOT NULL,
	"verdict" text,
	"first_seen_at" timestamp (3) with time zone,
	"attribution_count" integer DEFAULT 0 NOT NULL,
	"review_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "claims_text_length_check" CHECK (char_length("claims"."text") between 1 and 2000),
	CONSTRAINT "claims_status_check" CHECK (status in ('unreviewed', 'in_review', 'reviewed')),
	CONSTRAINT "claims_verdict_check" CHECK (verdict in ('true', 'mostly_true', 'mixed', 'mostly_false', 'false', 'misleading', 'unverifiable'))
);
--> statement-breakpoint
CREATE TABLE "events" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"id" uuid NOT NULL,
	"type" text NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" uuid NOT NULL,
	"key_id" uuid,
	"request_id" text,
	"occurred_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"before" jsonb,
	"after" jsonb,
	"tx_id" "xid8" DEFAULT pg_current_xact_id() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"method" text NOT NULL,
	"path" text NOT NULL,
	"request_hash" text NOT NULL,
	"state" text DEFAULT 'running' NOT NULL,
	"response_status" integer,
	"response_headers" jsonb,
	"response_body" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_scope_key_pk" PRIMARY KEY("scope","key"),
	CONSTRAINT "idempotency_keys_state_check" CHECK (state in ('running', 'done'))
);
--> statement-breakpoint
CREATE TABLE "review_evidence" (
	"review_id" uuid NOT NULL,
	"position" smallint NOT NULL,
	"source_id" uuid NOT NULL,
	"stance" text NOT NULL,
	"note" text,
	CONSTRAINT "review_evidence_review_id_position_pk" PRIMARY KEY("review_id","position"),
	CONSTRAINT "review_evidence_stance_check" CHECK (stance in ('supports', 'refutes', 'context'))
);
--> statement-breakpoint
CREATE TABLE "reviews" (
	"id" uuid PRIMARY KEY NOT NULL,
	"claim_id" uuid NOT NULL,
	"verdict" text NOT NULL,
	"textual_rating" text,
	"rating_value" double precision,
	"best_rating" double precision,
	"worst_rating" double precision,
	"summary" text,
	"reviewer_name" text,
	"reviewer_url" text,
	"url" text,
	"published_at" timestamp (3) with time zone,
	"language" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "reviews_verdict_check" CHECK (verdict in ('true', 'mostly_true', 'mixed', 'mostly_false', 'false', 'misleading', 'unverifiable'))
);
--> statement-breakpoint
CREATE TABLE "sources" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"url" text,
	"title" text NOT NULL,
	"publisher" text,
	"authors" text[] DEFAULT '{}'::text[] NOT NULL,
	"language" text,
	"published_at" timestamp (3) with time zone,
	"text" text,
	"text_length" integer,
	"content_sha256" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "sources_kind_check" CHECK (kind in ('article', 'transcript', 'statement', 'social_post', 'report', 'dataset', 'other')),
	CONSTRAINT "sources_text_size_check" CHECK (octet_length("sources"."text") <= 1048576)
);
--> statement-breakpoint
ALTER TABLE "attributions" ADD CONSTRAINT "attributions_claim_id_claims_id_fk" FOREIGN KEY ("claim_id") REFERENCES "public"."claims"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attributions" ADD CONSTRAINT "attributions_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attributions" ADD CONSTRAINT "attributions_claimant_id_claimants_id_fk" FOREIGN KEY ("claimant_id") REFERENCES "public"."claimants"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "review_evidence" ADD CONSTRAINT "review_evidence_review_id_reviews_id_fk" FOREIGN KEY ("review_id") REFERENCES "public"."reviews"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "review_evidence" ADD CONSTRAINT "review_evidence_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_claim_id_claims_id_fk" FOREIGN KEY ("claim_id") REFERENCES "public"."claims"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_secret_hash_key" ON "api_keys" USING btree ("secret_hash");--> statement-breakpoint
CREATE INDEX "attributions_claim_idx" ON "attributions" USING btree ("claim_id","id");--> statement-breakpoint
CREATE INDEX "attributions_source_idx" ON "attributions" USING btree ("source_id","id");--> statement-breakpoint
CREATE INDEX "attributions_claimant_idx" ON "attributions" USING btree ("claimant_id","id");--> statement-breakpoint
CREATE INDEX "attributions_created_at_idx" ON "attributions" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "attributions_updated_at_idx" ON "attributions" USING btree ("updated_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "claimants_wikidata_id_key" ON "claimants" USING btree ("wikidata_id");--> statement-breakpoint
CREATE INDEX "claimants_name_idx" ON "claimants" USING btree ("name","id");--> statement-breakpoint
CREATE INDEX "claimants_kind_idx" ON "claimants" USING btree ("kind","id");--> statement-breakpoint
CREATE INDEX "claimants_created_at_idx" ON "claimants" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "claimants_updated_at_idx" ON "claimants" USING btree ("updated_at","id");--> statement-breakpoint
CREATE INDEX "claims_status_idx" ON "claims" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "claims_verdict_idx" ON "claims" USING btree ("verdict","id");--> statement-breakpoint
CREATE INDEX "claims_language_idx" ON "claims" USING btree ("language","id");--> statement-breakpoint
CREATE INDEX "claims_topics_idx" ON "claims" USING gin ("topics");--> statement-breakpoint
CREATE INDEX "claims_first_seen_at_idx" ON "claims" USING btree ("first_seen_at","id");--> statement-breakpoint
CREATE INDEX "claims_created_at_idx" ON "claims" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "claims_updated_at_idx" ON "claims" USING btree ("updated_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "events_id_key" ON "events" USING btree ("id");--> statement-breakpoint
CREATE INDEX "events_entity_idx" ON "events" USING btree ("entity_id","seq");--> statement-breakpoint
CREATE INDEX "events_type_idx" ON "events" USING btree ("type","seq");--> statement-breakpoint
CREATE INDEX "idempotency_keys_expires_at_idx" ON "idempotency_keys" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "review_evidence_source_idx" ON "review_evidence" USING btree ("source_id");--> statement-breakpoint
CREATE INDEX "reviews_claim_idx" ON "reviews" USING btree ("claim_id","published_at","id");--> statement-breakpoint
CREATE INDEX "reviews_verdict_idx" ON "reviews" USING btree ("verdict","id");--> statement-breakpoint
CREATE INDEX "reviews_published_at_idx" ON "reviews" USING btree ("published_at","id");--> statement-breakpoint
CREATE INDEX "reviews_created_at_idx" ON "reviews" USING btree ("created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "sources_url_key" ON "sources" USING btree ("url");--> statement-breakpoint
CREATE INDEX "sources_kind_idx" ON "sources" USING btree ("kind","id");--> statement-breakpoint
CREATE INDEX "sources_publisher_idx" ON "sources" USING btree ("publisher","id");--> statement-breakpoint
CREATE INDEX "sources_published_at_idx" ON "sources" USING btree ("published_at","id");--> statement-breakpoint
CREATE INDEX "sources_created_at_idx" ON "sources" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "sources_updated_at_idx" ON "sources" USING btree ("updated_at","id");