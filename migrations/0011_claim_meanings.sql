-- Sentence vectors of the claims, for matching (src/domain/sentence-vectors.ts).
--
-- Encoding a claim costs milliseconds of CPU, too much to spend inside a write (a bulk import
-- of 100,000 claims would wait minutes for it), so claims are encoded in the background:
-- every claim written or whose text changed is queued in claim_meanings_pending by the
-- triggers below, whoever wrote it (single endpoints, bulk import, plain SQL), and the
-- server's encoder (src/resources/claims/meanings.ts) takes the queue a batch at a time under
-- a lease, so several processes share it and a batch whose process died is taken again.
-- A match encodes on the spot the candidates still queued, so its answer does not depend on
-- how far the queue has got; only its time does.
CREATE TABLE public.claim_meanings (
  claim_id uuid PRIMARY KEY,
  -- 512 signed bytes: the unit vector scaled so that its largest component is ±127.
  vector bytea NOT NULL
);
--> statement-breakpoint
CREATE TABLE public.claim_meanings_pending (
  claim_id uuid PRIMARY KEY,
  -- Set while an encoder works on the claim; past it, another may take the claim.
  leased_until timestamptz
);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION public.claimledger_meanings_added() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.claim_meanings_pending (claim_id) SELECT id FROM added ORDER BY id ON CONFLICT (claim_id) DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION public.claimledger_meanings_removed() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM public.claim_meanings m USING removed o WHERE m.claim_id = o.id;
  DELETE FROM public.claim_meanings_pending p USING removed o WHERE p.claim_id = o.id;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- A new text is a new meaning: the old vector goes and the claim is queued again, its lease
-- cleared (an encoder still busy with the old text finds the text changed and writes nothing).
CREATE OR REPLACE FUNCTION public.claimledger_meanings_changed() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE n.text IS DISTINCT FROM o.text) THEN
    RETURN NULL;
  END IF;
  DELETE FROM public.claim_meanings m USING old_rows o JOIN new_rows n ON n.id = o.id
   WHERE m.claim_id = o.id AND n.text IS DISTINCT FROM o.text;
  INSERT INTO public.claim_meanings_pending (claim_id)
    SELECT n.id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE n.text IS DISTINCT FROM o.text ORDER BY n.id
  ON CONFLICT (claim_id) DO UPDATE SET leased_until = NULL;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION public.claimledger_meanings_emptied() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE public.claim_meanings, public.claim_meanings_pending;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER claims_meanings_added AFTER INSERT ON public.claims REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_meanings_added();
--> statement-breakpoint
CREATE TRIGGER claims_meanings_removed AFTER DELETE ON public.claims REFERENCING OLD TABLE AS removed
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_meanings_removed();
--> statement-breakpoint
CREATE TRIGGER claims_meanings_changed AFTER UPDATE ON public.claims REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_meanings_changed();
--> statement-breakpoint
CREATE TRIGGER claims_meanings_emptied AFTER TRUNCATE ON public.claims
  FOR EACH STATEMENT EXECUTE FUNCTION public.claimledger_meanings_emptied();
--> statement-breakpoint
-- Claims stored before this migration, and claims loaded with triggers off, are queued by this.
CREATE OR REPLACE FUNCTION public.claimledger_queue_missing_meanings() RETURNS bigint
  LANGUAGE sql AS $$
  WITH queued AS (
    INSERT INTO public.claim_meanings_pending (claim_id)
      SELECT c.id FROM public.claims c
       WHERE NOT EXISTS (SELECT 1 FROM public.claim_meanings m WHERE m.claim_id = c.id)
       ORDER BY c.id
    ON CONFLICT (claim_id) DO NOTHING RETURNING 1
  )
  SELECT count(*) FROM queued $$;
--> statement-breakpoint
SELECT public.claimledger_queue_missing_meanings();
