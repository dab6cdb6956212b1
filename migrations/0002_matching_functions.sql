-- Functions that search and matching indexes are built on (issue 4).
--
-- unaccent() is only STABLE (its dictionary could in principle change), so PostgreSQL
-- refuses it in an index expression. Naming the dictionary explicitly and schema-
-- qualifying everything makes the result depend on the argument alone, which is what
-- IMMUTABLE promises; the same recipe works on PostgreSQL 15 and on PGlite (PG 18).
CREATE OR REPLACE FUNCTION public.claimledger_unaccent(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;
--> statement-breakpoint
-- Names and texts compare folded: no accents, lower case, single spaces.
CREATE OR REPLACE FUNCTION public.claimledger_fold(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT lower(public.claimledger_unaccent(regexp_replace(btrim($1), '\s+', ' ', 'g'))) $$;
--> statement-breakpoint
-- Spelling variants of transliterated and Germanic names, applied to folded text so that
-- Tchaikovsky / Tschaikowsky / Chaikovsky and Lindqvist / Lindkvist share their trigrams.
-- It only ever builds a comparison key: names are stored and shown as written. Only
-- immutable built-ins, so the planner inlines it.
CREATE OR REPLACE FUNCTION public.claimledger_translit(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace($1,
       'tsch', 'ch'), 'tch', 'ch'), 'sch', 'sh'), 'ph', 'f'), 'ck', 'k'), 'q', 'k'), 'w', 'v'), 'y', 'i'),
       'ae', 'a'), 'oe', 'o'), 'ue', 'u') $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION public.claimledger_name_key(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT public.claimledger_translit(public.claimledger_fold($1)) $$;
--> statement-breakpoint
-- Every name of a claimant (name first, then aliases), folded: stored, so lookup scores
-- each name without unaccenting it again per query.
CREATE OR REPLACE FUNCTION public.claimledger_fold_names(name text, aliases text[]) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT array(SELECT public.claimledger_fold(n) FROM unnest(array[name] || coalesce(aliases, '{}')) WITH ORDINALITY AS u(n, i) WHERE n IS NOT NULL ORDER BY i) $$;
--> statement-breakpoint
-- All of them as one name key: the trigram index of claimant lookup is built on it
-- (word_similarity finds the best matching run of words inside it).
CREATE OR REPLACE FUNCTION public.claimledger_claimant_key(name text, aliases text[]) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT public.claimledger_translit(array_to_string(public.claimledger_fold_names(name, aliases), ' ')) $$;
