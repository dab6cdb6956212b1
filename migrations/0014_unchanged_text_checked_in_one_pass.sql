-- An update of rows whose searched text did not change (a claim's derived counts, after every
-- attribution or review written) returned early from the search-term and sentence-vector
-- triggers only after asking whether any row's text changed with EXISTS over a join of the two
-- transition tables. EXISTS hoped to stop at the first changed row, so the planner joined them
-- by a nested loop: when nothing had changed, every old row against every new one, 250,000
-- comparisons for 500 claims, twice as long as the UPDATE itself. The same question as an
-- aggregate over the join is planned as a hash join: one pass over each table. It is run by
-- EXECUTE, so it is planned for the rows at hand every time: PL/pgSQL would otherwise keep the
-- plan made for the first update of the session, a nested loop if that update touched one row.
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
      DECLARE
        text_changed boolean;
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
          EXECUTE $q$SELECT coalesce(bool_or(%4$s IS DISTINCT FROM %5$s), false) FROM removed r JOIN added n ON n.id = r.id$q$ INTO text_changed;
          IF NOT text_changed THEN
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
CREATE OR REPLACE FUNCTION public.claimledger_meanings_changed() RETURNS trigger
  LANGUAGE plpgsql AS $$
DECLARE
  text_changed boolean;
BEGIN
  EXECUTE 'SELECT coalesce(bool_or(n.text IS DISTINCT FROM o.text), false) FROM old_rows o JOIN new_rows n ON n.id = o.id' INTO text_changed;
  IF NOT text_changed THEN
    RETURN NULL;
  END IF;
  DELETE FROM public.claim_meanings m USING old_rows o JOIN new_rows n ON n.id = o.id
   WHERE m.claim_id = o.id AND n.text IS DISTINCT FROM o.text;
  INSERT INTO public.claim_meanings_pending (claim_id)
    SELECT n.id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE n.text IS DISTINCT FROM o.text ORDER BY n.id
  ON CONFLICT (claim_id) DO UPDATE SET leased_until = NULL;
  RETURN NULL;
END $$;
