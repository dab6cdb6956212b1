-- API key events used to record the key's `prefix` and `last4`: characters of its
-- secret. Events never carry secret characters; drop them from the events already written.
UPDATE "events"
SET "before" = "before" - 'prefix' - 'last4',
    "after" = "after" - 'prefix' - 'last4'
WHERE "entity_type" = 'api_key'
  AND ("before" ?| array['prefix', 'last4'] OR "after" ?| array['prefix', 'last4']);
