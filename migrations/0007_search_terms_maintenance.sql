-- Ranked search reads term weights from claim_terms, source_terms and attribution_terms
-- (see src/db/schema.ts for the weight). The database keeps them, so every way of writing
-- rows (single requests, bulk import, COPY, hand-written SQL) keeps them right.
--
-- One document's weights: BM25's term-frequency part, scaled to an integer so that
-- sums of weights are exact in any order (k1 = 1.2, b = 0.75; `reference_length` is L).
-- A term's occurrences are its positions in the tsvector; the document's length is the
-- sum of them.
CREATE OR REPLACE FUNCTION public.claimledger_term_weights(document tsvector, reference_length float8)
  RETURNS TABLE (term text, weight smallint)
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
  SELECT u.lexeme,
         round(10000 * u.tf * 2.2 / (u.tf + 1.2 * (0.25 + 0.75 * u.dl / reference_length)))::smallint
    FROM (SELECT lexeme,
                 greatest(cardinality(positions), 1)::float8 AS tf,
                 sum(greatest(cardinality(positions), 1)) OVER ()::float8 AS dl
            FROM unnest(document)) u
$$;
--> statement-breakpoint
-- What each searchable list indexes: its terms table, that table's document column, the
-- search document as an SQL expression over a row alias (%1$s; the same expression as
-- the list's GIN index, so `@@` and the weights see the same words) and L, about the
-- length in terms of a typical document of the list.
CREATE OR REPLACE FUNCTION public.claimledger_search_list(searched text,
    OUT terms_table text, OUT doc_id text, OUT document text, OUT reference_length float8)
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$
  SELECT v.terms_table, v.doc_id, v.document, v.reference_length
    FROM (VALUES
      ('claims', 'claim_terms', 'claim_id', '%1$s.search', 10::float8),
      ('sources', 'source_terms', 'source_id', $d$to_tsvector('english'::regconfig, %1$s.title || ' ' || coalesce(%1$s.publisher, ''))$d$, 8),
      ('attributions', 'attribution_terms', 'attribution_id', $d$to_tsvector('english'::regconfig, coalesce(%1$s.quote, ''))$d$, 10)
    ) v (list, terms_table, doc_id, document, reference_length)
   WHERE v.list = searched
$$;
--> statement-breakpoint
-- Moves the appended deltas into search_term_stats. Writers never wait for each other
-- on the statistics: each appends its deltas, and only the transaction that gets the
-- fold lock (without waiting) folds them, so a hot term's row is updated by one
-- transaction at a time and nobody queues behind it.
CREATE OR REPLACE FUNCTION public.claimledger_fold_term_stats() RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF pg_try_advisory_xact_lock(4242, 7) THEN
    WITH moved AS (DELETE FROM public.search_term_deltas RETURNING list, term, delta)
    INSERT INTO public.search_term_stats AS s (list, term, df)
    SELECT m.list, m.term, sum(m.delta) FROM moved m GROUP BY m.list, m.term HAVING sum(m.delta) <> 0
    ON CONFLICT (list, term) DO UPDATE SET df = s.df + excluded.df;
  END IF;
END
$$;
--> statement-breakpoint
-- Collection statistics of a list as of now: folded and pending counts summed. The empty
-- term is the number of documents.
CREATE OR REPLACE FUNCTION public.claimledger_term_df(searched text, terms text[])
  RETURNS TABLE (term text, df bigint)
  LANGUAGE sql STABLE
  AS $$
  SELECT d.term, sum(d.n)::bigint
    FROM (SELECT s.term, s.df AS n FROM public.search_term_stats s WHERE s.list = searched AND s.term = ANY (terms)
          UNION ALL
          SELECT x.term, x.delta FROM public.search_term_deltas x WHERE x.list = searched AND x.term = ANY (terms)) d
   GROUP BY d.term
$$;
--> statement-breakpoint
-- The statement triggers of each searchable list (transition tables `added` and
-- `removed`), written out per list from claimledger_search_list() so that their SQL is
-- static and PL/pgSQL plans it once per session rather than on every statement. An
-- update only touches the documents whose search document changed, and of those only
-- the (term, weight) pairs that changed.
DO $do$
DECLARE
  cfg record;
  searched text;
BEGIN
  FOREACH searched IN ARRAY array['claims', 'sources', 'attributions'] LOOP
    SELECT * INTO cfg FROM public.claimledger_search_list(searched);
    EXECUTE format($f$
      CREATE OR REPLACE FUNCTION public.claimledger_sync_%1$s_terms() RETURNS trigger
        LANGUAGE plpgsql
        AS $fn$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          WITH came AS (
            INSERT INTO public.%2$I (term, weight, %3$I)
            SELECT w.term, w.weight, r.id FROM added r, public.claimledger_term_weights(%4$s, %6$s) w
            RETURNING term)
          INSERT INTO public.search_term_deltas (list, term, delta)
          SELECT %1$L, c.term, count(*) FROM came c GROUP BY c.term
          UNION ALL SELECT %1$L, '', count(*) FROM added HAVING count(*) > 0;
        ELSIF TG_OP = 'DELETE' THEN
          WITH gone AS (
            DELETE FROM public.%2$I t USING removed r, public.claimledger_term_weights(%4$s, %6$s) w
             WHERE t.term = w.term AND t.weight = w.weight AND t.%3$I = r.id
            RETURNING t.term)
          INSERT INTO public.search_term_deltas (list, term, delta)
          SELECT %1$L, g.term, -count(*) FROM gone g GROUP BY g.term
          UNION ALL SELECT %1$L, '', -count(*) FROM removed HAVING count(*) > 0;
        ELSE
          IF NOT EXISTS (SELECT 1 FROM removed r JOIN added n ON n.id = r.id WHERE %4$s IS DISTINCT FROM %5$s) THEN
            RETURN NULL;
          END IF;
          WITH changed AS MATERIALIZED (
                 SELECT r.id, %4$s AS before, %5$s AS after FROM removed r JOIN added n ON n.id = r.id WHERE %4$s IS DISTINCT FROM %5$s),
               before AS MATERIALIZED (SELECT c.id, w.term, w.weight FROM changed c, public.claimledger_term_weights(c.before, %6$s) w),
               after AS MATERIALIZED (SELECT c.id, w.term, w.weight FROM changed c, public.claimledger_term_weights(c.after, %6$s) w),
               gone AS (SELECT * FROM before EXCEPT ALL SELECT * FROM after),
               came AS (SELECT * FROM after EXCEPT ALL SELECT * FROM before),
               deleted AS (DELETE FROM public.%2$I t USING gone g
                            WHERE t.term = g.term AND t.weight = g.weight AND t.%3$I = g.id RETURNING t.term),
               inserted AS (INSERT INTO public.%2$I (term, weight, %3$I) SELECT c.term, c.weight, c.id FROM came c RETURNING term)
          INSERT INTO public.search_term_deltas (list, term, delta)
          SELECT %1$L, d.term, sum(d.delta)
            FROM (SELECT term, -1 AS delta FROM deleted UNION ALL SELECT term, 1 FROM inserted) d
           GROUP BY d.term HAVING sum(d.delta) <> 0;
        END IF;
        PERFORM public.claimledger_fold_term_stats();
        RETURN NULL;
      END
      $fn$
    $f$, searched, cfg.terms_table, cfg.doc_id, format(cfg.document, 'r'), format(cfg.document, 'n'), cfg.reference_length);
  END LOOP;
END
$do$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION public.claimledger_clear_search_terms() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
DECLARE
  cfg record;
BEGIN
  SELECT * INTO cfg FROM public.claimledger_search_list(TG_ARGV[0]);
  EXECUTE format('TRUNCATE public.%I', cfg.terms_table);
  DELETE FROM public.search_term_stats s WHERE s.list = TG_ARGV[0];
  DELETE FROM public.search_term_deltas x WHERE x.list = TG_ARGV[0];
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- Builds a list's terms and statistics from scratch (this migration, and bench/data.ts
-- after a COPY with triggers off). The primary key is dropped and built again around the
-- load: one sort instead of millions of scattered insertions.
CREATE OR REPLACE FUNCTION public.claimledger_rebuild_search_terms(searched text) RETURNS void
  LANGUAGE plpgsql
  AS $$
DECLARE
  cfg record;
  pk text;
BEGIN
  SELECT * INTO cfg FROM public.claimledger_search_list(searched);
  pk := format('%s_term_weight_%s_pk', cfg.terms_table, cfg.doc_id);
  EXECUTE format('TRUNCATE public.%I', cfg.terms_table);
  DELETE FROM public.search_term_stats s WHERE s.list = searched;
  DELETE FROM public.search_term_deltas x WHERE x.list = searched;
  EXECUTE format('ALTER TABLE public.%I DROP CONSTRAINT %I', cfg.terms_table, pk);
  EXECUTE format('INSERT INTO public.%I (term, weight, %I) SELECT w.term, w.weight, r.id FROM public.%I r, public.claimledger_term_weights(%s, %s) w',
                 cfg.terms_table, cfg.doc_id, searched, format(cfg.document, 'r'), cfg.reference_length);
  EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I PRIMARY KEY (term, weight, %I)', cfg.terms_table, pk, cfg.doc_id);
  EXECUTE format('INSERT INTO public.search_term_stats (list, term, df)
                  SELECT %1$L, term, count(*) FROM public.%2$I GROUP BY term
                  UNION ALL SELECT %1$L, '''', count(*) FROM public.%3$I',
                 searched, cfg.terms_table, searched);
END
$$;
--> statement-breakpoint
CREATE TRIGGER claims_terms_insert AFTER INSERT ON public.claims REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_sync_claims_terms();
--> statement-breakpoint
CREATE TRIGGER claims_terms_update AFTER UPDATE ON public.claims REFERENCING OLD TABLE AS removed NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_sync_claims_terms();
--> statement-breakpoint
CREATE TRIGGER claims_terms_delete AFTER DELETE ON public.claims REFERENCING OLD TABLE AS removed
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_sync_claims_terms();
--> statement-breakpoint
CREATE TRIGGER claims_terms_truncate AFTER TRUNCATE ON public.claims
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_clear_search_terms('claims');
--> statement-breakpoint
CREATE TRIGGER sources_terms_insert AFTER INSERT ON public.sources REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_sync_sources_terms();
--> statement-breakpoint
CREATE TRIGGER sources_terms_update AFTER UPDATE ON public.sources REFERENCING OLD TABLE AS removed NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_sync_sources_terms();
--> statement-breakpoint
CREATE TRIGGER sources_terms_delete AFTER DELETE ON public.sources REFERENCING OLD TABLE AS removed
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_sync_sources_terms();
--> statement-breakpoint
CREATE TRIGGER sources_terms_truncate AFTER TRUNCATE ON public.sources
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_clear_search_terms('sources');
--> statement-breakpoint
CREATE TRIGGER attributions_terms_insert AFTER INSERT ON public.attributions REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_sync_attributions_terms();
--> statement-breakpoint
CREATE TRIGGER attributions_terms_update AFTER UPDATE ON public.attributions REFERENCING OLD TABLE AS removed NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_sync_attributions_terms();
--> statement-breakpoint
CREATE TRIGGER attributions_terms_delete AFTER DELETE ON public.attributions REFERENCING OLD TABLE AS removed
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_sync_attributions_terms();
--> statement-breakpoint
CREATE TRIGGER attributions_terms_truncate AFTER TRUNCATE ON public.attributions
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_clear_search_terms('attributions');
--> statement-breakpoint
SELECT public.claimledger_rebuild_search_terms(l) FROM (VALUES ('claims'), ('sources'), ('attributions')) v (l);
