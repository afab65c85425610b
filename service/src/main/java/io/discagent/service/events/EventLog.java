package io.discagent.service.events;

/**
 * The recent events, encoded, at increasing positions: what the stream clients read from (each keeps its own
 * position) and what a reconnecting client is replayed from. It keeps at most {@code capacity} events, none older
 * than the window; a client whose position falls before {@link #first()} has fallen behind. Used by one thread only
 * (the feed's).
 */
final class EventLog {

    private final EncodedEvent[] events;
    private final long[] times;
    private long first;
    private long end;
    /** The sequence of the last event trimmed (or of the snapshot the log started from): replay starts after it. */
    private long floor;

    EventLog(int capacity) {
        this.events = new EncodedEvent[capacity];
        this.times = new long[capacity];
    }

    /** Forgets every event: the next position starts a new history after {@code sequence}. */
    void restart(long sequence) {
        java.util.Arrays.fill(events, null);
        first = end;
        floor = sequence;
    }

    /** Adds an event that happened at {@code atNanos} (the scheduler's clock), making room if the log is full. */
    void append(EncodedEvent event, long atNanos) {
        if (end - first == events.length) {
            drop();
        }
        int slot = (int) (end % events.length);
        events[slot] = event;
        times[slot] = atNanos;
        end++;
    }

    /** Drops the events older than {@code oldestNanos}. */
    void trim(long oldestNanos) {
        while (first < end && times[(int) (first % events.length)] < oldestNanos) {
            drop();
        }
    }

    private void drop() {
        int slot = (int) (first % events.length);
        floor = events[slot].sequence();
        events[slot] = null;
        first++;
    }

    /** The position of the oldest event kept. */
    long first() {
        return first;
    }

    /** The position the next event gets. */
    long end() {
        return end;
    }

    /** The event at {@code position}, between {@link #first()} and {@link #end()}. */
    EncodedEvent get(long position) {
        if (position < first || position >= end) {
            throw new IndexOutOfBoundsException(position + " is not in [" + first + ", " + end + ")");
        }
        return events[(int) (position % events.length)];
    }

    /**
     * The position of the first event after {@code sequence}, when every event after it is still kept (or none
     * happened); {@code -1} when some of them are gone (or {@code sequence} is in the future).
     */
    long positionAfter(long sequence, long lastSequence) {
        if (sequence < floor || sequence > lastSequence) {
            return -1;
        }
        for (long p = first; p < end; p++) {
            if (get(p).sequence() > sequence) {
                return p;
            }
        }
        return end;
    }
}
