package io.discagent.service.events;

import io.discagent.api.RecorderId;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One client of the event streams (an SSE response or a WebSocket) as the {@link EventFeed} drives it. The feed calls
 * the abstract methods on its own thread; the writes they make are queued by Vert.x to the client's connection and
 * flushed there once per delivery, however many events it carries. {@link #markClosed()} may be called from any
 * thread (the connection's close handler does).
 */
public abstract class StreamClient {

    /** How long a client that is cut off has to read what it was told before its connection is closed. */
    public static final Duration CUT_OFF_GRACE = Duration.ofSeconds(1);

    /** Events for one client, in order; the SSE bytes of the whole batch are joined once, when first asked for. */
    public static final class Batch {

        private final List<EncodedEvent> events;
        private @Nullable Buffer sse;

        Batch(List<EncodedEvent> events) {
            this.events = events;
        }

        /** The events, each with its shared encoded bytes. */
        public List<EncodedEvent> events() {
            return events;
        }

        /** The SSE frames of every event, one after the other (joined once per batch, shared by its clients). */
        public Buffer sse() {
            Buffer joined = sse;
            if (joined == null) {
                if (events.size() == 1) {
                    joined = events.get(0).sse();
                } else {
                    joined = Buffer.buffer();
                    for (EncodedEvent event : events) {
                        joined.appendBuffer(event.sse());
                    }
                }
                sse = joined;
            }
            return joined;
        }
    }

    private final @Nullable Set<RecorderId> recorders;
    private final Context context;
    private volatile boolean closed;
    /** The log position of the next event to send (the feed's thread only). */
    long position;
    /** Since when (scheduler nanoseconds) its connection has been too full to take waiting events, or -1. */
    long stalledSince = -1;

    /**
     * @param recorders the recorders whose events it wants, or {@code null} for all
     * @param context the context of its connection
     */
    protected StreamClient(@Nullable Set<RecorderId> recorders, Context context) {
        this.recorders = recorders == null ? null : Set.copyOf(recorders);
        this.context = context;
    }

    /** Whether it wants the events of every recorder. */
    final boolean wantsEverything() {
        return recorders == null;
    }

    /** Whether it wants the events of {@code recorder}. */
    final boolean wants(RecorderId recorder) {
        return recorders == null || recorders.contains(recorder);
    }

    final Context context() {
        return context;
    }

    /** Its connection closed: the feed drops it at its next look. */
    public final void markClosed() {
        closed = true;
    }

    public final boolean isClosed() {
        return closed;
    }

    /** Writes these events. */
    protected abstract void send(Batch batch);

    /** Its {@code Last-Event-ID} is no longer kept: a snapshot follows. */
    protected abstract void replayUnavailable(long lastEventId);

    /** Writes a keep-alive (an SSE comment, a WebSocket ping). */
    protected abstract void keepAlive();

    /** Whether its connection takes no more writes for now (its buffers are full). */
    protected abstract boolean writeQueueFull();

    /** It fell behind: tells it {@code reason} and disconnects it (within a bounded time even if it reads nothing). */
    protected abstract void cutOff(String reason);

    /** The feed ended: tells it {@code reason} and ends the stream. */
    protected abstract void end(String reason);
}
