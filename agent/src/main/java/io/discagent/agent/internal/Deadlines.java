package io.discagent.agent.internal;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;

/**
 * The wait deadlines of every pending acquire of the agent: a binary min-heap indexed through the requests, with one
 * timer on the agent's scheduler for the earliest deadline. A request that ends early leaves the heap in logarithmic
 * time and keeps no timer task alive (a timer per waiter would cost a scheduled task per pending request). Event
 * loop only, except the timer, which only hops back to the event loop.
 */
final class Deadlines {

    private final EventLoop loop;
    private final Scheduler time;
    private final Consumer<AcquireOperation> reached;
    private AcquireOperation[] heap = new AcquireOperation[16];
    private int size;
    private @Nullable Disposable timer;
    private long timerAt = Long.MAX_VALUE;

    /**
     * @param reached what to do with a request whose deadline has passed (it has already left the heap)
     */
    Deadlines(EventLoop loop, Scheduler time, Consumer<AcquireOperation> reached) {
        this.loop = loop;
        this.time = time;
        this.reached = reached;
    }

    int size() {
        return size;
    }

    void add(AcquireOperation op) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        heap[size] = op;
        op.deadlineIndex = size;
        size++;
        up(size - 1);
        arm();
    }

    /** Takes {@code op} out if it is in the heap. */
    void remove(AcquireOperation op) {
        int i = op.deadlineIndex;
        if (i < 0) {
            return;
        }
        op.deadlineIndex = -1;
        size--;
        if (i != size) {
            AcquireOperation last = heap[size];
            heap[i] = last;
            last.deadlineIndex = i;
            heap[size] = null;
            down(i);
            up(last.deadlineIndex);
        } else {
            heap[size] = null;
        }
        if (size == 0) {
            disarm();
        }
    }

    /** Cancels the timer and forgets every request (the agent is closing). */
    void clear() {
        for (int i = 0; i < size; i++) {
            heap[i].deadlineIndex = -1;
            heap[i] = null;
        }
        size = 0;
        disarm();
    }

    private void arm() {
        long earliest = heap[0].deadlineNanos;
        if (timer != null && timerAt <= earliest) {
            return;
        }
        disarm();
        timerAt = earliest;
        long delay = Math.max(0, earliest - time.now(TimeUnit.NANOSECONDS));
        timer = time.schedule(() -> loop.execute(() -> fire(earliest)), delay, TimeUnit.NANOSECONDS);
    }

    private void disarm() {
        Disposable armed = timer;
        timer = null;
        timerAt = Long.MAX_VALUE;
        if (armed != null) {
            armed.dispose();
        }
    }

    private void fire(long at) {
        if (timerAt != at) {
            return; // replaced by an earlier timer, or disarmed
        }
        timer = null;
        timerAt = Long.MAX_VALUE;
        long now = time.now(TimeUnit.NANOSECONDS);
        while (size > 0 && heap[0].deadlineNanos <= now) {
            AcquireOperation due = heap[0];
            remove(due);
            reached.accept(due);
        }
        if (size > 0) {
            arm();
        }
    }

    private void up(int i) {
        AcquireOperation op = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            AcquireOperation p = heap[parent];
            if (p.deadlineNanos <= op.deadlineNanos) {
                break;
            }
            heap[i] = p;
            p.deadlineIndex = i;
            i = parent;
        }
        heap[i] = op;
        op.deadlineIndex = i;
    }

    private void down(int i) {
        AcquireOperation op = heap[i];
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int right = child + 1;
            if (right < size && heap[right].deadlineNanos < heap[child].deadlineNanos) {
                child = right;
            }
            if (op.deadlineNanos <= heap[child].deadlineNanos) {
                break;
            }
            heap[i] = heap[child];
            heap[i].deadlineIndex = i;
            i = child;
        }
        heap[i] = op;
        op.deadlineIndex = i;
    }
}
