/** Who made a change, as the event log records it. */
export interface Actor {
  keyId: string | null;
  requestId: string | null;
}

export const systemActor: Actor = { keyId: null, requestId: null };
