package io.discagent.agent.internal;

/**
 * Where a recorder's lock stands ({@link RecorderSlot}). Orthogonal to it, a recorder may be <em>unresponsive</em>
 * (a native call has timed out and not returned, {@link NativeCalls#isUnresponsive()}): then only what needs no
 * native call is served.
 *
 * <pre>
 *           admit (queue empty)                    native acquire ok
 *   FREE ─────────────────────────▶ ACQUIRING ─────────────────────────▶ HELD ◀──┐ acquire/release
 *    ▲ ▲                              │    ▲                               │ │   │ by the holder
 *    │ │        LOCKED, may retry     ▼    │ retry timer                   │ └───┘ (count ≥ 1)
 *    │ │                          BACKING_OFF                              │
 *    │ │  failed / given up / cancelled │                                  │
 *    │ └────────────────────────────────┘       release to 0 (no scopes)   │
 *    │◀────────────────────────────────────────────────────────────────────┤
 *    │        every scope stopped                                          │ session closed, lease expired,
 *    └──────────────────────────────── REVOKING ◀──────────────────────────┘ lock lost, release with scopes
 *
 *   any phase ── removed, agent closed ──▶ REMOVED (final)
 * </pre>
 */
enum Phase {

    /** Nobody in the agent holds or is taking the recorder; the wait queue is empty. */
    FREE,

    /** The request at the head has its native acquire in flight. */
    ACQUIRING,

    /** The request at the head met a holder outside the agent and waits to try again; it keeps its place. */
    BACKING_OFF,

    /** A session holds the recorder with a count of at least one. */
    HELD,

    /**
     * A hold ended while work ran under it ({@link HoldScope}): the recorder passes to nobody until that work has
     * stopped.
     */
    REVOKING,

    /** The recorder is gone (or the agent closed): every request fails, nothing native is called any more. */
    REMOVED
}
