package io.discagent.agent.internal;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The FIFO of requests waiting for one recorder: an intrusive doubly linked list through the requests themselves,
 * so a request that is cancelled or times out leaves it at once, in constant time, and keeps nothing behind (no
 * node, no tombstone). Event loop only.
 */
final class WaitQueue {

    private @Nullable AcquireOperation head;
    private @Nullable AcquireOperation tail;
    private int size;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void add(AcquireOperation op) {
        op.queuePrev = tail;
        op.queueNext = null;
        if (tail == null) {
            head = op;
        } else {
            tail.queueNext = op;
        }
        tail = op;
        size++;
    }

    /** Puts {@code op} first: a head that must wait again keeps its place. */
    void addFirst(AcquireOperation op) {
        op.queuePrev = null;
        op.queueNext = head;
        if (head == null) {
            tail = op;
        } else {
            head.queuePrev = op;
        }
        head = op;
        size++;
    }

    /** Unlinks {@code op}, which must be in this queue. */
    void remove(AcquireOperation op) {
        AcquireOperation prev = op.queuePrev;
        AcquireOperation next = op.queueNext;
        if (prev == null) {
            head = next;
        } else {
            prev.queueNext = next;
        }
        if (next == null) {
            tail = prev;
        } else {
            next.queuePrev = prev;
        }
        op.queuePrev = null;
        op.queueNext = null;
        size--;
    }

    /** Removes and returns the first request, or null. */
    @Nullable AcquireOperation poll() {
        AcquireOperation first = head;
        if (first != null) {
            remove(first);
        }
        return first;
    }

    /** The requests in order (a copy, so the caller may remove while it walks). */
    List<AcquireOperation> snapshot() {
        List<AcquireOperation> all = new ArrayList<>(size);
        for (AcquireOperation op = head; op != null; op = op.queueNext) {
            all.add(op);
        }
        return all;
    }
}
