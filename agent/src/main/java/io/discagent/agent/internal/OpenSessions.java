package io.discagent.agent.internal;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The agent's open sessions, in the order they opened: a list threaded through the sessions themselves
 * ({@link SessionImpl#previousOpen}, {@link SessionImpl#nextOpen}), so an open session costs two references and no map
 * entry. Nothing looks a session up by id: every call comes with its session object.
 *
 * <p>Event loop only.
 */
final class OpenSessions {

    private @Nullable SessionImpl first;
    private @Nullable SessionImpl last;
    private int size;

    void add(SessionImpl session) {
        session.previousOpen = last;
        session.nextOpen = null;
        if (last == null) {
            first = session;
        } else {
            last.nextOpen = session;
        }
        last = session;
        size++;
    }

    /** Removes {@code session}, which must be in the list (the agent removes a session once, when it closes it). */
    void remove(SessionImpl session) {
        SessionImpl before = session.previousOpen;
        SessionImpl after = session.nextOpen;
        if (before == null) {
            first = after;
        } else {
            before.nextOpen = after;
        }
        if (after == null) {
            last = before;
        } else {
            after.previousOpen = before;
        }
        session.previousOpen = null;
        session.nextOpen = null;
        size--;
    }

    int size() {
        return size;
    }

    /** A copy, in opening order: the agent closes sessions while it walks it. */
    List<SessionImpl> list() {
        List<SessionImpl> all = new ArrayList<>(size);
        for (SessionImpl s = first; s != null; s = s.nextOpen) {
            all.add(s);
        }
        return all;
    }
}
