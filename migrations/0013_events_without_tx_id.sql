-- Nothing read tx_id: the change log's order comes from the lock writers append it under until
-- they commit (src/db/write.ts), so a reader never skips a seq that commits late.
ALTER TABLE "events" DROP COLUMN "tx_id";
