package io.discagent.agent.internal;

import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import java.util.ArrayList;
import java.util.List;

/**
 * One continuous hold of a recorder by a session: from the acquire that took it from free to the release (or loss)
 * that made it free again. Its count is the number of live {@link Grant}s; the scopes are the work running under it
 * ({@link HoldScope}). Event loop only.
 */
final class Hold {

    final long id;
    final RecorderId recorder;
    final SessionImpl session;
    /** The held drive's device paths, which every grant of the hold carries. */
    private final List<String> devicePaths;
    private final ArrayList<Grant> grants = new ArrayList<>(2);
    private List<HoldScope> scopes = List.of();
    private boolean ended;

    Hold(long id, RecorderId recorder, SessionImpl session, List<String> devicePaths) {
        this.id = id;
        this.recorder = recorder;
        this.session = session;
        this.devicePaths = devicePaths;
    }

    int count() {
        return grants.size();
    }

    boolean isEnded() {
        return ended;
    }

    /** One more count. */
    Grant grant() {
        Grant grant = new Grant(this, new LockGrant(recorder, session.id(), grants.size() + 1, id, devicePaths));
        grants.add(grant);
        return grant;
    }

    /**
     * Takes one count away for an IMAPI2 release, which names no grant: the most recent count the session's caller
     * holds, so that a {@code withLock} running under the same hold keeps its own count (it releases it when its
     * body ends); the most recent count of all if only such counts are left. Returns null at zero.
     */
    Grant releaseLatest() {
        if (grants.isEmpty()) {
            return null;
        }
        int pick = grants.size() - 1;
        for (int i = grants.size() - 1; i >= 0; i--) {
            if (!grants.get(i).isScoped()) {
                pick = i;
                break;
            }
        }
        Grant released = grants.remove(pick);
        released.markReleased();
        return released;
    }

    /** A live grant with this value (the caller's before {@code withLock}'s), or null. */
    Grant find(LockGrant value) {
        Grant scoped = null;
        for (int i = grants.size() - 1; i >= 0; i--) {
            Grant g = grants.get(i);
            if (g.value.equals(value)) {
                if (!g.isScoped()) {
                    return g;
                }
                scoped = scoped == null ? g : scoped;
            }
        }
        return scoped;
    }

    /** Takes this grant's count away; false if it was released already or belongs to another hold. */
    boolean release(Grant grant) {
        if (grant.hold != this || grant.isReleased()) {
            return false;
        }
        for (int i = grants.size() - 1; i >= 0; i--) {
            if (grants.get(i) == grant) {
                grants.remove(i);
                grant.markReleased();
                return true;
            }
        }
        return false;
    }

    void addScope(HoldScope scope) {
        if (scopes.isEmpty()) {
            scopes = new ArrayList<>(2);
        }
        scopes.add(scope);
    }

    void removeScope(HoldScope scope) {
        if (!scopes.isEmpty()) {
            scopes.remove(scope);
        }
    }

    /** Ends the hold: every live grant is released; returns the scopes still running under it. */
    List<HoldScope> end() {
        ended = true;
        for (Grant grant : grants) {
            grant.markReleased();
        }
        grants.clear();
        List<HoldScope> running = scopes;
        scopes = List.of();
        return running;
    }
}
