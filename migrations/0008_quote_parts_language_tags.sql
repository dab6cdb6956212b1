ALTER TABLE "attributions" ADD COLUMN "parts" jsonb;--> statement-breakpoint
-- Quotes anchored before quotations could have elisions are one part: the whole selector.
UPDATE "attributions" SET "parts" = jsonb_build_array(jsonb_build_object('exact', "selector"->'exact', 'start', "selector"->'start', 'end', "selector"->'end'))
  WHERE "selector" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "attributions" ADD CONSTRAINT "attributions_parts_check" CHECK (("attributions"."parts" is null) = ("attributions"."selector" is null));--> statement-breakpoint
-- Language tags are now stored in canonical form (src/domain/language.ts). Tags written
-- before get the RFC 5646 §2.1.1 case conventions here: language and everything after a
-- singleton lower case, a four-letter script title case, a two-letter region upper case.
-- (Replacing deprecated codes, `iw` → `he`, needs CLDR's tables and is left to new writes.)
CREATE FUNCTION public.claimledger_language_case(tag text) RETURNS text
  LANGUAGE sql IMMUTABLE
  AS $$ SELECT string_agg(CASE
         WHEN i = 1 OR coalesce(after_singleton, false) THEN lower(p)
         WHEN p ~ '^[A-Za-z]{4}$' THEN initcap(p)
         WHEN p ~ '^[A-Za-z]{2}$' THEN upper(p)
         ELSE lower(p) END, '-' ORDER BY i)
       FROM (SELECT p, i, bool_or(length(p) = 1) OVER (ORDER BY i ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS after_singleton
               FROM unnest(string_to_array(tag, '-')) WITH ORDINALITY AS u(p, i)) AS subtags $$;--> statement-breakpoint
UPDATE "claims" SET "language" = public.claimledger_language_case("language")
  WHERE "language" IS DISTINCT FROM public.claimledger_language_case("language");--> statement-breakpoint
UPDATE "sources" SET "language" = public.claimledger_language_case("language")
  WHERE "language" IS DISTINCT FROM public.claimledger_language_case("language");--> statement-breakpoint
UPDATE "reviews" SET "language" = public.claimledger_language_case("language")
  WHERE "language" IS DISTINCT FROM public.claimledger_language_case("language");--> statement-breakpoint
DROP FUNCTION public.claimledger_language_case(text);
