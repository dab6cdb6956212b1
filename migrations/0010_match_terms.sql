-- Claim matching's term index: BM25-style weights from collection statistics, kept by the
-- database itself so every writer (single endpoints, bulk import, SQL) keeps it right.
--
-- match_terms holds one row per (stem, claim) with the stem's BM25 term-frequency part
-- (k1 = 1.2, b = 0.75 against a nominal claim length of 10 stems: the weight must not change
-- when other claims arrive); match_term_stats holds each stem's document frequency, from
-- which the rarity (idf) of a stem is computed per query. There is deliberately no row of
-- totals: one row every claim insert updates would serialise writers and, inside one large
-- import transaction, grow a version chain that each later update walks (quadratic); the
-- claim count comes from the planner's statistics instead. Candidates for a match are the claims with the largest sums of
-- idf x weight, read from the (term, w desc) index a bounded number of rows per stem, so the
-- cost of a match does not grow with the collection.
CREATE OR REPLACE FUNCTION public.claimledger_term_weight(tf integer, dl integer) RETURNS real
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT (tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * greatest(dl, 1) / 10.0)))::real $$;
--> statement-breakpoint
CREATE TABLE public.match_terms (
  term text NOT NULL,
  claim_id uuid NOT NULL,
  w real NOT NULL,
  PRIMARY KEY (claim_id, term)
);
--> statement-breakpoint
CREATE INDEX match_terms_impact_idx ON public.match_terms (term, w DESC, claim_id);
--> statement-breakpoint
CREATE TABLE public.match_term_stats (
  term text PRIMARY KEY,
  df integer NOT NULL
);
--> statement-breakpoint
-- Statement-level triggers with transition tables: a bulk import of a million claims
-- updates each stem's statistics once, not once per claim. Stems are written in sorted
-- order so that concurrent writers take the statistics rows' locks in one order.
CREATE OR REPLACE FUNCTION public.claimledger_match_terms_added() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.match_terms (term, claim_id, w)
    SELECT u.lexeme, n.id, public.claimledger_term_weight(coalesce(array_length(u.positions, 1), 1), length(n.search))
      FROM added n, unnest(n.search) u;
  INSERT INTO public.match_term_stats AS s (term, df)
    SELECT u.lexeme, count(*) FROM added n, unnest(n.search) u GROUP BY u.lexeme ORDER BY u.lexeme
  ON CONFLICT (term) DO UPDATE SET df = s.df + excluded.df;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION public.claimledger_match_terms_removed() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM public.match_terms t USING removed o WHERE t.claim_id = o.id;
  WITH gone AS (
    SELECT u.lexeme AS term, count(*) AS n FROM removed o, unnest(o.search) u GROUP BY u.lexeme ORDER BY u.lexeme
  )
  UPDATE public.match_term_stats s SET df = s.df - gone.n FROM gone WHERE s.term = gone.term;
  DELETE FROM public.match_term_stats s USING removed o, unnest(o.search) u WHERE s.term = u.lexeme AND s.df <= 0;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- An update changes the terms only when the text changed: those claims are removed and added again.
CREATE OR REPLACE FUNCTION public.claimledger_match_terms_changed() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE n.search IS DISTINCT FROM o.search) THEN
    RETURN NULL;
  END IF;
  DELETE FROM public.match_terms t USING old_rows o JOIN new_rows n ON n.id = o.id
   WHERE t.claim_id = o.id AND n.search IS DISTINCT FROM o.search;
  INSERT INTO public.match_terms (term, claim_id, w)
    SELECT u.lexeme, n.id, public.claimledger_term_weight(coalesce(array_length(u.positions, 1), 1), length(n.search))
      FROM old_rows o JOIN new_rows n ON n.id = o.id, unnest(n.search) u
     WHERE n.search IS DISTINCT FROM o.search;
  WITH delta AS (
    SELECT term, sum(d)::integer AS n FROM (
      SELECT u.lexeme AS term, 1 AS d FROM old_rows o JOIN new_rows n ON n.id = o.id, unnest(n.search) u WHERE n.search IS DISTINCT FROM o.search
      UNION ALL
      SELECT u.lexeme, -1 FROM old_rows o JOIN new_rows n ON n.id = o.id, unnest(o.search) u WHERE n.search IS DISTINCT FROM o.search
    ) x GROUP BY term HAVING sum(d) <> 0 ORDER BY term
  )
  INSERT INTO public.match_term_stats AS s (term, df) SELECT term, n FROM delta
  ON CONFLICT (term) DO UPDATE SET df = s.df + excluded.df;
  DELETE FROM public.match_term_stats s USING old_rows o, unnest(o.search) u WHERE s.term = u.lexeme AND s.df <= 0;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION public.claimledger_match_terms_emptied() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE public.match_terms, public.match_term_stats;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER claims_match_terms_added AFTER INSERT ON public.claims REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_match_terms_added();
--> statement-breakpoint
CREATE TRIGGER claims_match_terms_removed AFTER DELETE ON public.claims REFERENCING OLD TABLE AS removed
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_match_terms_removed();
--> statement-breakpoint
CREATE TRIGGER claims_match_terms_changed AFTER UPDATE ON public.claims REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_match_terms_changed();
--> statement-breakpoint
CREATE TRIGGER claims_match_terms_emptied AFTER TRUNCATE ON public.claims
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_match_terms_emptied();
--> statement-breakpoint
-- Rebuilds the term index from the claims: for claims stored before this migration, and for
-- loaders that write claims with triggers off (bench/data.ts copies with replication role replica).
CREATE OR REPLACE FUNCTION public.claimledger_rebuild_match_terms() RETURNS void
  LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE public.match_terms, public.match_term_stats;
  INSERT INTO public.match_terms (term, claim_id, w)
    SELECT u.lexeme, c.id, public.claimledger_term_weight(coalesce(array_length(u.positions, 1), 1), length(c.search))
      FROM public.claims c, unnest(c.search) u;
  INSERT INTO public.match_term_stats (term, df) SELECT term, count(*) FROM public.match_terms GROUP BY term;
END $$;
--> statement-breakpoint
SELECT public.claimledger_rebuild_match_terms();
