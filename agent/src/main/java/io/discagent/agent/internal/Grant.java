package io.discagent.agent.internal;

import io.discagent.api.LockGrant;

/**
 * One count of a {@link Hold}: the token behind a {@link LockGrant}. Releasing it takes exactly that count away,
 * once: a token released twice (a discarded grant that its subscriber also released, a {@code withLock} whose body
 * released its own count) takes nothing more. Event loop only.
 */
final class Grant {

    final Hold hold;
    final LockGrant value;
    private boolean released;
    /** Whether work of the agent's owns this count (a {@code withLock} scope), rather than the session's caller. */
    private boolean scoped;

    Grant(Hold hold, LockGrant value) {
        this.hold = hold;
        this.value = value;
    }

    boolean isReleased() {
        return released;
    }

    void markReleased() {
        released = true;
    }

    boolean isScoped() {
        return scoped;
    }

    void markScoped() {
        scoped = true;
    }

    @Override
    public String toString() {
        return "grant " + value.lockCount() + " of hold " + hold.id + (released ? " (released)" : "");
    }
}
