-- Claim matching finds its candidates in claim_terms, the term index ranked search already
-- keeps for the claims (migrations/0006 and 0007), instead of a second index of the very same
-- search document. Both held one row per (stem, claim) with BM25's term-frequency part against
-- a fixed reference length of 10 stems; keeping both cost every claim insert two sets of index
-- rows, and the second set was half of the time a bulk import of claims took. claim_terms is
-- read by (term, weight) backwards, which is the order match_terms' second index gave, and
-- its collection statistics (search_term_stats plus the pending deltas, summed by
-- claimledger_term_df) count the same claims per stem as match_term_stats did.
DROP TRIGGER IF EXISTS claims_match_terms_added ON public.claims;
--> statement-breakpoint
DROP TRIGGER IF EXISTS claims_match_terms_removed ON public.claims;
--> statement-breakpoint
DROP TRIGGER IF EXISTS claims_match_terms_changed ON public.claims;
--> statement-breakpoint
DROP TRIGGER IF EXISTS claims_match_terms_emptied ON public.claims;
--> statement-breakpoint
DROP FUNCTION IF EXISTS public.claimledger_match_terms_added();
--> statement-breakpoint
DROP FUNCTION IF EXISTS public.claimledger_match_terms_removed();
--> statement-breakpoint
DROP FUNCTION IF EXISTS public.claimledger_match_terms_changed();
--> statement-breakpoint
DROP FUNCTION IF EXISTS public.claimledger_match_terms_emptied();
--> statement-breakpoint
DROP FUNCTION IF EXISTS public.claimledger_rebuild_match_terms();
--> statement-breakpoint
DROP FUNCTION IF EXISTS public.claimledger_term_weight(integer, integer);
--> statement-breakpoint
DROP TABLE IF EXISTS public.match_terms;
--> statement-breakpoint
DROP TABLE IF EXISTS public.match_term_stats;
--> statement-breakpoint
-- Writers append their deltas and only the holder of the fold lock moves them into
-- search_term_stats (0007). Folding after every statement made a transaction of many statements
-- (a bulk import writes a window of a thousand lines per statement) quadratic: each fold scanned
-- the deltas its own earlier folds had deleted (still in the table until it commits) and updated
-- the same statistics rows again, and every update of a row this transaction had already updated
-- walks a longer chain of its versions; under the import's savepoints it was half the time of
-- writing claims. Now a transaction folds at its first statement that changes terms, at most
-- 20,000 deltas (what the writes before it left), and a large write (one that stages its events:
-- src/db/write.ts) folds everything once more just before it commits, in one linear pass, so it
-- leaves no backlog for readers or later writers. Readers sum the statistics and the pending
-- deltas (claimledger_term_df), so the figures are exact at every moment whoever has folded what.
CREATE OR REPLACE FUNCTION public.claimledger_move_term_deltas(at_most integer) RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  WITH moved AS (
    DELETE FROM public.search_term_deltas d
     WHERE at_most IS NULL OR d.ctid = ANY (ARRAY(SELECT x.ctid FROM public.search_term_deltas x LIMIT at_most))
    RETURNING d.list, d.term, d.delta)
  INSERT INTO public.search_term_stats AS s (list, term, df)
  SELECT m.list, m.term, sum(m.delta) FROM moved m GROUP BY m.list, m.term HAVING sum(m.delta) <> 0
  ON CONFLICT (list, term) DO UPDATE SET df = s.df + excluded.df;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION public.claimledger_fold_term_stats() RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF current_setting('claimledger.term_stats_folded', true) IS DISTINCT FROM 'on' AND pg_try_advisory_xact_lock(4242, 7) THEN
    PERFORM set_config('claimledger.term_stats_folded', 'on', true);
    PERFORM public.claimledger_move_term_deltas(20000);
  END IF;
END
$$;
--> statement-breakpoint
-- Every pending delta, if the fold lock is free (or already this transaction's). Writes call it
-- just before committing a long transaction.
CREATE OR REPLACE FUNCTION public.claimledger_fold_all_term_stats() RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF pg_try_advisory_xact_lock(4242, 7) THEN
    PERFORM public.claimledger_move_term_deltas(NULL);
  END IF;
END
$$;
